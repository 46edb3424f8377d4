'use strict';

// The drawing page: strokes in, a digit out. Contract hooks (tests rely on them):
// #canvas, #predict, #clear, and #result[data-digit] (plus data-prediction-id) once an answer is shown.
(function () {
  const root = document.getElementById('recognizer');
  const canvas = document.getElementById('canvas');
  if (!root || !canvas) {
    return;
  }
  const ctx = canvas.getContext('2d');
  const predictUrl = root.dataset.predictUrl;
  const loginUrl = root.dataset.loginUrl || '/accounts/login/';
  const board = canvas.closest('.board') || root;
  const placeholder = document.getElementById('canvas-placeholder');
  const predictButton = document.getElementById('predict');
  const clearButton = document.getElementById('clear');
  const undoButton = document.getElementById('undo');
  const instantBox = document.getElementById('instant');
  const result = document.getElementById('result');
  const message = document.getElementById('message');
  const answerBody = document.getElementById('answer-body');
  const answerDigit = document.getElementById('answer-digit');
  const answerVerdict = document.getElementById('answer-verdict');
  const answerStored = document.getElementById('answer-stored');
  const answerBars = document.getElementById('answer-bars');
  const barsHeading = document.getElementById('bars-heading');
  const answerImage = document.getElementById('answer-image');
  const historyLink = document.getElementById('history-link');
  const feedbackRight = document.getElementById('feedback-right');
  const feedbackLabel = document.getElementById('feedback-label');
  const feedbackState = document.getElementById('feedback-state');

  // Relative to the canvas side, so that a resize (phone rotation) redraws the same digit.
  const PEN_SHARE = 0.065;
  const INK = '#000';
  const INSTANT_DELAY_MS = 600;
  const INSTANT_KEY = 'mnistsite.instant';
  const IDLE_MESSAGE = 'Draw a digit, then press Predict.';
  const THINKING = 'Thinking…';
  // The model sees a 20x20 box, so the page never uploads more than a 280 px copy (a 2x or 3x
  // screen's bitmap would cost the server 4-9 times the decoding), and a big drawing is scaled
  // down further, until its ink is UPLOAD_INK pixels across: the box preprocessing works in,
  // with some to spare, as the server names it (docs/PERFORMANCE.md, "Profile").
  const UPLOAD_SIDE = 280;
  const UPLOAD_INK = Number(root.dataset.uploadInk) || UPLOAD_SIDE;

  // Each stroke is an array of [x, y] in 0..1 of the canvas side.
  const strokes = [];
  let current = null;
  let activePointer = null;
  let side = 280;

  // The drawing's revision changes with every stroke, undo or clear: an answer for an older
  // revision is stale. The prediction id names the *drawing*, from its first stroke to Clear
  // (or undoing its last stroke): every prediction of it, and every retry, updates one
  // record, so a digit drawn in two strokes with auto-predict on stays one row in history.
  let revision = 0;
  let predictionId = null;
  let inFlight = false;
  let queued = false;
  let instantTimer = null;

  // --- Drawing ---------------------------------------------------------------------------

  function resize() {
    const cssSide = canvas.clientWidth || 280;
    const ratio = window.devicePixelRatio || 1;
    const backing = Math.round(cssSide * ratio);
    side = cssSide;
    if (canvas.width !== backing || canvas.height !== backing) {
      canvas.width = backing;
      canvas.height = backing;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    redraw();
  }

  // The ink's bounding box, pen included, as a share of the canvas side.
  function inkExtent() {
    let left = Infinity;
    let right = -Infinity;
    let top = Infinity;
    let bottom = -Infinity;
    for (const stroke of strokes) {
      for (const [x, y] of stroke) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
    return Math.max(right - left, bottom - top, 0) + PEN_SHARE;
  }

  // The whole canvas, scaled down so that the ink is at most UPLOAD_INK pixels across (and the
  // upload at most UPLOAD_SIDE): the server's rules that look at the ink's share of the page
  // (a dot, a blank) see the same drawing at any scale.
  function uploadImage() {
    const target = Math.min(UPLOAD_SIDE, Math.round(UPLOAD_INK / inkExtent()));
    if (canvas.width <= target) {
      return canvas.toDataURL('image/png');
    }
    const copy = document.createElement('canvas');
    copy.width = target;
    copy.height = Math.round((target * canvas.height) / canvas.width);
    const copyCtx = copy.getContext('2d');
    copyCtx.imageSmoothingQuality = 'high';
    copyCtx.drawImage(canvas, 0, 0, copy.width, copy.height);
    return copy.toDataURL('image/png');
  }

  function penSetup() {
    ctx.lineWidth = PEN_SHARE * side;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
  }

  function at(point) {
    return [point[0] * side, point[1] * side];
  }

  function mid(a, b) {
    return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  }

  function dot(point) {
    const [x, y] = at(point);
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
  }

  // Quadratic curves through the midpoints: point i-1 is the control point of the piece that
  // ends halfway to point i. Drawing pieces from index `from` on lets a live stroke grow
  // without redrawing it; ink is opaque, so overlapping pieces look like one path.
  function drawPieces(points, from, finished) {
    penSetup();
    if (points.length === 1) {
      dot(points[0]);
      return;
    }
    ctx.beginPath();
    for (let i = Math.max(from, 1); i < points.length; i += 1) {
      const start = i === 1 ? at(points[0]) : at(mid(points[i - 2], points[i - 1]));
      const control = at(points[i - 1]);
      const end = at(mid(points[i - 1], points[i]));
      ctx.moveTo(start[0], start[1]);
      ctx.quadraticCurveTo(control[0], control[1], end[0], end[1]);
    }
    if (finished) {
      const last = points.length - 1;
      const start = at(mid(points[last - 1], points[last]));
      const end = at(points[last]);
      ctx.moveTo(start[0], start[1]);
      ctx.lineTo(end[0], end[1]);
    }
    ctx.stroke();
  }

  function redraw() {
    ctx.clearRect(0, 0, side, side);
    for (const stroke of strokes) {
      drawPieces(stroke, 1, stroke !== current);
    }
    placeholder.hidden = strokes.length > 0;
    undoButton.disabled = strokes.length === 0;
  }

  function pointFrom(event) {
    const rect = canvas.getBoundingClientRect();
    // Not clamped: a stroke that runs off the edge is cut there, as on paper.
    return [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
  }

  function drawingChanged() {
    revision += 1;
    markStale();
  }

  canvas.addEventListener('pointerdown', (event) => {
    if (activePointer !== null || (event.pointerType === 'mouse' && event.button !== 0)) {
      return;
    }
    event.preventDefault();
    // preventDefault also keeps the focus where it was, on the last answer's buttons say:
    // a new stroke is new work, so Enter should predict it, not press an old button again.
    const focused = document.activeElement;
    if (focused instanceof HTMLElement && focused !== document.body && !board.contains(focused)) {
      focused.blur();
    }
    activePointer = event.pointerId;
    try {
      canvas.setPointerCapture(event.pointerId);
    } catch (error) {
      // A synthetic event has no active pointer to capture; drawing still works.
    }
    cancelInstant();
    current = [pointFrom(event)];
    strokes.push(current);
    drawingChanged();
    placeholder.hidden = true;
    undoButton.disabled = false;
    drawPieces(current, 0, false);
  });

  canvas.addEventListener('pointermove', (event) => {
    if (event.pointerId !== activePointer || current === null) {
      return;
    }
    event.preventDefault();
    // Coalesced events keep fast strokes smooth; a synthetic event has none.
    let events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    if (events.length === 0) {
      events = [event];
    }
    const from = current.length;
    for (const sample of events) {
      current.push(pointFrom(sample));
    }
    drawPieces(current, from, false);
  });

  function endStroke(event) {
    if (event.pointerId !== activePointer || current === null) {
      return;
    }
    activePointer = null;
    current = null;
    redraw();
    scheduleInstant();
  }

  canvas.addEventListener('pointerup', endStroke);
  canvas.addEventListener('pointercancel', endStroke);
  canvas.addEventListener('lostpointercapture', endStroke);

  function undo() {
    if (strokes.length === 0 || current !== null) {
      return;
    }
    strokes.pop();
    cancelInstant();
    if (strokes.length === 0) {
      revision += 1;
      predictionId = null;
      resetAnswer();
    } else {
      drawingChanged();
      scheduleInstant();
    }
    redraw();
  }

  function clear() {
    strokes.length = 0;
    current = null;
    activePointer = null;
    cancelInstant();
    revision += 1;
    predictionId = null;
    resetAnswer();
    redraw();
  }

  // --- The answer ------------------------------------------------------------------------

  function showMessage(text, kind) {
    message.textContent = text;
    message.hidden = text === '';
    message.classList.toggle('error', kind === 'error');
    message.classList.toggle('hint', kind === 'hint');
  }

  // A 401 or 403 means the session is gone (expired, logged out in another tab), whatever
  // words the server chose: say so in a person's words, with the way back.
  function showSessionEnded() {
    showMessage('', 'error');
    const link = document.createElement('a');
    link.href = `${loginUrl}?next=${encodeURIComponent(window.location.pathname)}`;
    link.textContent = 'log in again';
    message.replaceChildren('Your session ended — ', link, '.');
    message.hidden = false;
  }

  function resetAnswer() {
    placeholder.textContent = 'Draw here';
    placeholder.classList.remove('nudge');
    result.removeAttribute('data-digit');
    result.removeAttribute('data-prediction-id');
    result.removeAttribute('data-not-a-digit');
    result.classList.remove('stale', 'unsure');
    answerBody.hidden = true;
    showMessage(IDLE_MESSAGE, 'idle');
  }

  function markStale() {
    // The answer on screen belongs to an older drawing: keep it visible but dimmed, and drop
    // the hooks so nobody reads it as the answer for what is on the canvas now.
    result.removeAttribute('data-digit');
    result.removeAttribute('data-prediction-id');
    result.removeAttribute('data-not-a-digit');
    if (!answerBody.hidden) {
      result.classList.add('stale');
    }
    if (message.classList.contains('error') || message.classList.contains('hint')) {
      showMessage('', 'idle');
    }
  }

  function percent(value) {
    // A network is never 100% sure and rarely exactly 0%; say so rather than round to it.
    const p = value * 100;
    if (p >= 99.95) {
      return '>99.9%';
    }
    if (p < 0.05) {
      return '<0.1%';
    }
    return `${p.toFixed(1)}%`;
  }

  function showAnswer(answer) {
    const digit = answer.digit;
    const unsure = Boolean(answer.unsure);
    const notADigit = Boolean(answer.not_a_digit);
    answerDigit.textContent = notADigit ? '?' : String(digit);
    if (notADigit) {
      answerVerdict.textContent = "That doesn't look like a digit.";
    } else if (unsure) {
      const [first, second] = answer.alternatives || [digit, digit];
      answerVerdict.textContent = `Not sure — maybe ${first} or ${second}?`;
    } else {
      const article = digit === 8 ? 'an' : 'a';
      answerVerdict.textContent = `It's ${article} ${digit} (${percent(answer.confidence)} sure).`;
    }
    const kept = answer.stored || answer.queued;
    if (kept) {
      answerStored.replaceChildren(historyLink);
    } else {
      answerStored.textContent = 'Not saved: the database is unavailable.';
    }
    answerStored.classList.toggle('warn', !kept);
    showFeedback(answer, kept);

    // A drawing rejected as not a digit still has the network's digits; say what they are.
    barsHeading.textContent = notADigit ? 'If it were a digit, the closest' : 'Top guesses';
    const probabilities = answer.probabilities || [];
    const ranked = probabilities
      .map((p, d) => [d, p])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3);
    answerBars.replaceChildren(
      ...ranked.map(([d, p]) => {
        const item = document.createElement('li');
        item.className = 'bar-row';
        const label = document.createElement('span');
        label.className = 'bar-digit';
        label.textContent = String(d);
        const track = document.createElement('span');
        track.className = 'bar-track';
        const fill = document.createElement('span');
        fill.className = 'bar-fill';
        fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
        track.append(fill);
        const value = document.createElement('span');
        value.className = 'bar-value';
        value.textContent = percent(p);
        item.append(label, track, value);
        return item;
      })
    );

    if (answer.image) {
      answerImage.src = answer.image;
      answerImage.hidden = false;
    } else {
      answerImage.removeAttribute('src');
      answerImage.hidden = true;
    }

    result.classList.remove('stale');
    result.classList.toggle('unsure', unsure || notADigit);
    result.toggleAttribute('data-not-a-digit', notADigit);
    answerBody.hidden = false;
    showMessage('', 'idle');
    result.dataset.predictionId = answer.id;
    result.dataset.digit = String(digit);
  }

  // --- Feedback: "Right" or "Wrong — it was N" -----------------------------------------

  function showFeedback(answer, kept) {
    // A drawing rejected as "not a digit" has no answer to confirm, so no "Right", and any
    // digit may be what it was (the history page does the same).
    const notADigit = Boolean(answer.not_a_digit);
    feedbackRight.hidden = notADigit;
    feedbackRight.disabled = !kept;
    feedbackLabel.disabled = !kept;
    feedbackLabel.value = '';
    for (const option of feedbackLabel.options) {
      option.hidden = !notADigit && option.value === String(answer.digit);
    }
    const label = answer.corrected_label;
    if (label === null || label === undefined) {
      feedbackState.textContent = '';
    } else if (label === answer.digit && !notADigit) {
      feedbackState.textContent = 'You said: right.';
    } else {
      feedbackState.textContent = `You said: it was ${label}.`;
    }
  }

  async function sendFeedback(label) {
    const id = result.dataset.predictionId;
    if (!id || Number.isNaN(label)) {
      return;
    }
    const url = root.dataset.feedbackUrl.replace('00000000-0000-0000-0000-000000000000', id);
    feedbackState.textContent = 'Saving…';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
        credentials: 'same-origin',
        body: JSON.stringify({ label }),
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data) {
        feedbackState.textContent = data.corrected_label === data.digit && !data.not_a_digit
          ? 'Thanks: saved as right.'
          : `Thanks: saved, it was ${data.corrected_label}.`;
      } else {
        feedbackState.textContent = data && data.error ? data.error : `Not saved (HTTP ${response.status}).`;
      }
    } catch (error) {
      feedbackState.textContent = 'Could not reach the server: try again.';
    }
  }

  feedbackRight.addEventListener('click', () => {
    sendFeedback(Number(result.dataset.digit));
  });
  feedbackLabel.addEventListener('change', () => {
    if (feedbackLabel.value !== '') {
      sendFeedback(Number(feedbackLabel.value));
    }
  });

  // --- Talking to the server -------------------------------------------------------------

  function csrfToken() {
    for (const part of document.cookie.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === 'csrftoken') {
        return decodeURIComponent(rest.join('='));
      }
    }
    // CSRF_USE_SESSIONS keeps the token out of cookies; the page's forms still carry it.
    const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : '';
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; plain-HTTP hosts get a v4 UUID by hand.
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function setBusy(busy) {
    inFlight = busy;
    predictButton.disabled = busy;
    predictButton.setAttribute('aria-busy', String(busy));
    result.setAttribute('aria-busy', String(busy));
  }

  // On a phone the answer sits below the canvas: bring it into view when asked for, but not
  // when it comes by itself, which would move the page under a finger that is still drawing.
  function reveal() {
    const top = result.getBoundingClientRect().top;
    if (top > window.innerHeight - 80) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      result.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'nearest' });
    }
  }

  async function predict(explicit) {
    cancelInstant();
    if (strokes.length === 0) {
      showMessage('Draw a digit first, then press Predict.', 'hint');
      // On a phone the message is below the fold; the empty canvas says it too.
      placeholder.textContent = 'Draw a digit here first';
      placeholder.classList.add('nudge');
      return;
    }
    if (inFlight) {
      // The drawing changed while a request was out: ask again once it is back.
      queued = true;
      return;
    }
    if (predictionId === null) {
      predictionId = newId();
    }
    const sentRevision = revision;
    const body = JSON.stringify({ image: uploadImage(), id: predictionId });
    setBusy(true);
    showMessage(THINKING, 'idle');
    let answer = null;
    let problem = null;
    let sessionEnded = false;
    try {
      const response = await fetch(predictUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
        credentials: 'same-origin',
        body,
      });
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      if (response.ok && data && typeof data.digit === 'number') {
        answer = data;
      } else if (response.status === 401 || response.status === 403) {
        sessionEnded = true;
      } else if (data && data.error) {
        problem = data.error;
      } else {
        problem = `The server could not answer (HTTP ${response.status}). Please try again.`;
      }
    } catch (error) {
      // The id is kept for this drawing, so pressing Predict again is a safe retry.
      problem = 'Could not reach the server. Check your connection and press Predict to try again.';
    } finally {
      setBusy(false);
    }

    if (sentRevision === revision) {
      if (answer) {
        showAnswer(answer);
      } else if (sessionEnded) {
        showSessionEnded();
      } else {
        showMessage(problem, 'error');
      }
      if (explicit) {
        reveal();
      }
    } else if (message.textContent === THINKING) {
      showMessage('', 'idle');
    }
    if (queued) {
      queued = false;
      if (sentRevision !== revision && strokes.length > 0 && current === null) {
        predict(false);
      }
    }
  }

  // --- Predict as you draw ---------------------------------------------------------------

  function instantOn() {
    return instantBox !== null && instantBox.checked;
  }

  function cancelInstant() {
    if (instantTimer !== null) {
      window.clearTimeout(instantTimer);
      instantTimer = null;
    }
  }

  function scheduleInstant() {
    cancelInstant();
    if (instantOn() && strokes.length > 0) {
      instantTimer = window.setTimeout(() => {
        instantTimer = null;
        if (current === null) {
          predict(false);
        }
      }, INSTANT_DELAY_MS);
    }
  }

  if (instantBox !== null) {
    try {
      const saved = window.localStorage.getItem(INSTANT_KEY);
      if (saved !== null) {
        instantBox.checked = saved === '1';
      }
    } catch (error) {
      // Storage may be disabled; the default stands.
    }
    instantBox.addEventListener('change', () => {
      try {
        window.localStorage.setItem(INSTANT_KEY, instantBox.checked ? '1' : '0');
      } catch (error) {
        // Not remembered, still applied.
      }
      if (!instantBox.checked) {
        cancelInstant();
      }
    });
  }

  // --- Buttons and keys ------------------------------------------------------------------

  predictButton.addEventListener('click', () => {
    predict(true);
  });
  clearButton.addEventListener('click', clear);
  undoButton.addEventListener('click', undo);

  function typingIn(target) {
    if (!(target instanceof Element)) {
      return false;
    }
    if (target.isContentEditable || target.closest('textarea, select')) {
      return true;
    }
    const input = target.closest('input');
    return input !== null && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(input.type);
  }

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing || typingIn(event.target)) {
      return;
    }
    const key = event.key;
    if (key === 'Enter' && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // The page says "Enter: predict", so it does, wherever a click left the focus on the
      // drawing board (Clear, Undo, the checkbox). Elsewhere (the header, the answer's own
      // buttons) Enter keeps activating what has the focus.
      const target = event.target instanceof Element ? event.target : null;
      if (target !== null && target !== document.body && !board.contains(target)) {
        return;
      }
      event.preventDefault();
      predict(true);
    } else if (key === 'Escape') {
      event.preventDefault();
      clear();
    } else if ((key === 'z' || key === 'Z') && (event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      undo();
    }
  });

  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(resize).observe(canvas);
  }
  window.addEventListener('resize', resize);
  resize();
  resetAnswer();
})();
