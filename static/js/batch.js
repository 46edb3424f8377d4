'use strict';

// The upload page: several image files at once (picker or drag and drop), one result each.
(function () {
  const root = document.getElementById('upload');
  if (!root) {
    return;
  }
  const form = document.getElementById('upload-form');
  const input = document.getElementById('files');
  const zone = document.getElementById('drop-zone');
  const message = document.getElementById('upload-message');
  const results = document.getElementById('batch-results');
  const submit = document.getElementById('upload-submit');
  const maxFiles = Number(root.dataset.maxFiles);

  function say(text, isError) {
    message.textContent = text;
    message.hidden = text === '';
    message.classList.toggle('error', Boolean(isError));
  }

  function csrfToken() {
    const field = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : '';
  }

  function describe() {
    const count = input.files.length;
    zone.querySelector('span').textContent = count
      ? `${count} file${count === 1 ? '' : 's'} chosen`
      : 'Drop image files here, or choose them';
  }

  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      describe();
    }
  });
  input.addEventListener('change', describe);

  function resultItem(item) {
    const li = document.createElement('li');
    li.className = 'batch-result';
    li.dataset.status = String(item.status);
    const name = document.createElement('span');
    name.className = 'batch-file';
    name.textContent = item.file;
    li.append(name);
    if (item.prediction) {
      const image = document.createElement('img');
      image.className = 'thumb';
      image.src = item.prediction.image;
      image.width = 56;
      image.height = 56;
      image.alt = `Recognised as ${item.prediction.digit}`;
      const digit = document.createElement('span');
      digit.className = 'digit-small';
      digit.textContent = String(item.prediction.digit);
      li.dataset.digit = String(item.prediction.digit);
      li.append(image, digit);
    } else {
      const error = document.createElement('span');
      error.className = 'batch-error';
      error.textContent = item.error;
      li.append(error);
    }
    return li;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const files = Array.from(input.files);
    if (files.length === 0) {
      say('Choose one or more image files first.', true);
      return;
    }
    if (files.length > maxFiles) {
      say(`At most ${maxFiles} files at once.`, true);
      return;
    }
    const body = new FormData();
    for (const file of files) {
      body.append('images', file, file.name);
    }
    submit.disabled = true;
    say('Recognising…', false);
    try {
      const response = await fetch(root.dataset.batchUrl, {
        method: 'POST',
        headers: { 'X-CSRFToken': csrfToken() },
        credentials: 'same-origin',
        body,
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data && Array.isArray(data.results)) {
        results.replaceChildren(...data.results.map(resultItem));
        const failed = data.results.filter((item) => item.error).length;
        say(failed ? `${data.results.length - failed} recognised, ${failed} could not be read.` : 'All recognised and saved.', false);
      } else {
        say(data && data.error ? data.error : `The server could not answer (HTTP ${response.status}).`, true);
      }
    } catch (error) {
      say('Could not reach the server. Check your connection and try again.', true);
    } finally {
      submit.disabled = false;
    }
  });
})();
