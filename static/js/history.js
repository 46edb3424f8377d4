'use strict';

// The history page: times are stored in UTC; show each in the reader's own time zone.
(function () {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const element of document.querySelectorAll('time[datetime]')) {
    const moment = new Date(element.getAttribute('datetime'));
    if (!Number.isNaN(moment.getTime())) {
      element.textContent = format.format(moment);
      element.title = element.getAttribute('datetime');
    }
  }
})();

// Delete cannot be undone: ask first, as the admin does (without script, it deletes at once).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.classList.contains('delete-form')
      && !window.confirm('Delete this drawing from your history? This cannot be undone.')) {
    event.preventDefault();
  }
});
