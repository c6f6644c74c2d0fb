// v2a soundtrack studio: the page over the HTTP API (docs/server.md). Plain JS, no build step.
'use strict';

const POLL_MS = 500;          // job status refresh while queued or running
const HISTORY_MS = 3000;      // job list refresh
const CSRF = { 'X-V2a-Request': '1' };

const $ = (id) => document.getElementById(id);
const state = { config: null, file: null, jobId: null, rendered: null, poll: null };

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

async function api(path, options = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...options, headers: { ...CSRF, ...(options.headers || {}) } });
  if (res.status === 401) { location.href = '/login'; throw new Error('log in first'); }
  if (!res.ok && res.status !== 204) throw new Error(await problemText(res));
  return res.status === 204 ? null : res.json();
}

async function problemText(res) {
  try { const p = await res.json(); return p.detail || p.title || `HTTP ${res.status}`; } catch { return `HTTP ${res.status}`; }
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
const secs = (s) => `${s.toFixed(s < 10 ? 1 : 0)} s`;
const ago = (iso) => {
  const d = (Date.now() - new Date(iso).getTime()) / 1000;
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
};

// ---------- the form ----------

function setFile(file) {
  state.file = file || null;
  $('file-name').textContent = file ? `${file.name} (${mb(file.size)})` : '';
  $('drop').classList.toggle('has-file', !!file);
  $('form-error').textContent = '';
  if (file && state.config && file.size > state.config.maxUploadBytes) {
    $('form-error').textContent = `${file.name} is ${mb(file.size)}; the server accepts up to ${mb(state.config.maxUploadBytes)}.`;
  }
}

function wireForm() {
  const drop = $('drop'), input = $('file');
  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  input.addEventListener('change', () => setFile(input.files[0]));
  for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer.files[0];
    if (f) setFile(f);
  });
  // A file dropped beside the zone should not make the browser navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  for (const name of ['prompt', 'negative', 'transcript']) {
    const field = $(name), count = $(`${name}-count`);
    const update = () => {
      const max = state.config ? state.config.maxPromptChars : 500;
      count.textContent = field.value.length ? `${field.value.length}/${max}` : '';
      count.classList.toggle('over', field.value.length > max);
    };
    field.addEventListener('input', update);
  }
  $('job-form').addEventListener('submit', submit);
}

function submit(e) {
  e.preventDefault();
  const error = $('form-error');
  error.textContent = '';
  if (!state.file) { error.textContent = 'Choose a video first.'; return; }
  const cfg = state.config;
  if (cfg && state.file.size > cfg.maxUploadBytes) { error.textContent = `The video is larger than ${mb(cfg.maxUploadBytes)}.`; return; }
  for (const name of ['prompt', 'negative', 'transcript']) {
    if (cfg && $(name).value.length > cfg.maxPromptChars) { error.textContent = `The ${name} is longer than ${cfg.maxPromptChars} characters.`; return; }
  }

  const form = new FormData();
  for (const name of ['prompt', 'negative', 'transcript', 'candidates', 'seed', 'steps']) {
    const v = $(name).value.trim();
    if (v !== '') form.append(name, v);
  }
  if (!$('room-tone').checked) form.append('room_tone', 'false');
  form.append('video', state.file, state.file.name);

  // XMLHttpRequest rather than fetch: it reports upload progress.
  const xhr = new XMLHttpRequest();
  const bar = $('upload');
  const button = $('submit');
  button.disabled = true;
  bar.hidden = false;
  setProgress(bar, 0, 'uploading');
  xhr.upload.addEventListener('progress', (p) => {
    if (p.lengthComputable) setProgress(bar, p.loaded / p.total, `uploading ${Math.round(100 * p.loaded / p.total)}%`);
  });
  xhr.upload.addEventListener('load', () => setProgress(bar, null, 'checking the video'));
  xhr.addEventListener('loadend', () => {
    button.disabled = false;
    bar.hidden = true;
    if (xhr.status === 201) {
      const job = JSON.parse(xhr.responseText);
      setFile(null);
      $('file').value = '';
      refreshHistory();
      openJob(job.id);
    } else if (xhr.status === 401) {
      location.href = '/login';
    } else {
      let detail = xhr.status ? `HTTP ${xhr.status}` : 'the upload failed (connection closed)';
      try { detail = JSON.parse(xhr.responseText).detail || detail; } catch { /* not JSON */ }
      error.textContent = detail;
    }
  });
  xhr.open('POST', '/api/jobs');
  xhr.setRequestHeader('X-V2a-Request', '1');
  xhr.send(form);
}

function setProgress(box, fraction, label) {
  const bar = box.querySelector('.bar');
  bar.classList.toggle('indeterminate', fraction === null);
  bar.style.width = fraction === null ? '' : `${Math.round(100 * fraction)}%`;
  box.querySelector('.label').textContent = label;
}

// ---------- the job list ----------

async function refreshHistory() {
  let jobs;
  try { jobs = await api('/api/jobs?limit=100'); } catch { return; }
  const list = $('history');
  list.replaceChildren(...jobs.map((j) => {
    const what = el('div', { class: 'what' },
      el('div', { text: j.request.fileName }),
      el('div', { class: 'sub', text: `${j.request.prompt || 'no prompt'} · ${j.request.candidates}× · ${ago(j.created)}` }));
    const li = el('li', { tabindex: 0, 'data-id': j.id, class: j.id === state.jobId ? 'current' : '' },
      what, el('span', { class: `badge ${j.status}`, text: statusText(j) }));
    li.addEventListener('click', () => openJob(j.id));
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') openJob(j.id); });
    return li;
  }));
  $('history-empty').hidden = jobs.length > 0;
  const running = jobs.filter((j) => j.status === 'running').length;
  const queued = jobs.filter((j) => j.status === 'queued').length;
  $('server-state').textContent = running || queued ? `${running} running · ${queued} queued` : '';
}

function statusText(j) {
  if (j.status === 'queued') return j.queuePosition ? `queued #${j.queuePosition}` : 'queued';
  if (j.status === 'running' && j.progress && j.progress.fraction !== null && j.progress.fraction !== undefined) {
    return `running ${Math.round(100 * j.progress.fraction)}%`;
  }
  return j.status;
}

// ---------- one job ----------

function openJob(id) {
  if (state.jobId !== id) {
    state.jobId = id;
    state.rendered = null;
    $('candidate-list').replaceChildren();
  }
  if (location.hash !== `#job=${id}`) history.replaceState(null, '', `#job=${id}`);
  for (const li of $('history').children) li.classList.toggle('current', li.dataset.id === id);
  clearTimeout(state.poll);
  pollJob();
}

async function pollJob() {
  const id = state.jobId;
  let job;
  try {
    job = await api(`/api/jobs/${id}`);
  } catch (err) {
    if (id !== state.jobId) return;
    $('job-empty').hidden = false;
    $('job-view').hidden = true;
    $('job-empty').querySelector('p').textContent = `That job is gone (${err.message}).`;
    return;
  }
  if (id !== state.jobId) return;
  renderJob(job);
  if (job.status === 'queued' || job.status === 'running' || job.status === 'cancelled') {
    state.poll = setTimeout(pollJob, POLL_MS);
  } else {
    refreshHistory();
  }
}

function renderJob(job) {
  $('job-empty').hidden = true;
  $('job-view').hidden = false;
  const r = job.request;
  $('job-title').textContent = r.fileName;
  const bits = [
    r.prompt ? `“${r.prompt}”` : 'no prompt',
    r.negative ? `not “${r.negative}”` : null,
    r.transcript ? `saying “${r.transcript}”` : null,
    `${r.candidates} candidate${r.candidates > 1 ? 's' : ''}`,
    `seed ${r.seed}`,
    r.steps ? `${r.steps} steps` : null,
    r.roomTone === false ? 'no room tone' : null,
    secs(r.videoSeconds),
  ].filter(Boolean);
  if (job.result) bits.push(`generated in ${secs(job.result.elapsedSeconds)} (${job.result.realTimeFactor.toFixed(1)}× real time)`);
  $('job-meta').textContent = bits.join(' · ');
  const badge = $('job-status');
  badge.className = `badge ${job.status}`;
  badge.textContent = statusText(job);
  $('job-error').textContent = job.error ? job.error : '';

  const box = $('job-progress');
  if (job.status === 'queued') {
    box.hidden = false;
    setProgress(box, null, job.queuePosition === 1 ? 'waiting for a free slot (next in line)' : `waiting in the queue (#${job.queuePosition})`);
  } else if (job.status === 'running') {
    box.hidden = false;
    const p = job.progress;
    const f = p && p.fraction !== null && p.fraction !== undefined ? p.fraction : null;
    const label = p ? `${p.stage}${p.total > 0 ? ` ${p.done}/${p.total}` : ''}${p.detail ? ` · ${p.detail}` : ''}` : 'starting';
    setProgress(box, f, label);
  } else {
    box.hidden = true;
  }

  if (job.status === 'done' && job.result && state.rendered !== job.id) {
    state.rendered = job.id;
    renderCandidates(job);
  }
}

function renderCandidates(job) {
  const cards = job.result.candidates.map((c) => {
    const video = c.video
      ? el('video', { src: c.video, controls: true, preload: 'metadata', playsinline: true, 'data-index': c.index })
      : el('audio', { src: c.audio, controls: true, preload: 'metadata' });
    const wave = c.waveform ? el('img', { class: 'wave', src: c.waveform, alt: `waveform of candidate ${c.index + 1}` }) : null;
    const links = el('div', { class: 'downloads' },
      c.video ? el('a', { href: `${c.video}?download=1`, download: '', text: 'Video' }) : null,
      c.audio ? el('a', { href: `${c.audio}?download=1`, download: '', text: 'Audio' }) : null,
      el('a', { href: `${c.manifest}?download=1`, download: '', text: 'Manifest' }));
    const provenance = el('details', { class: 'provenance' }, el('summary', { text: 'Provenance' }));
    provenance.addEventListener('toggle', () => loadProvenance(provenance, c.manifest), { once: true });
    const card = el('article', { class: 'candidate', 'data-index': c.index },
      video, wave,
      el('div', { class: 'body' },
        el('h3', {}, el('span', { text: `Candidate ${c.index + 1}` }), el('span', { class: 'muted', text: `seed ${c.seed}` })),
        links, provenance));
    // Compare by ear: starting one candidate pauses the others.
    video.addEventListener('play', () => {
      for (const other of document.querySelectorAll('.candidate video, .candidate audio')) if (other !== video) other.pause();
      for (const a of document.querySelectorAll('.candidate')) a.classList.toggle('playing', a === card);
    });
    return card;
  });
  $('candidate-list').replaceChildren(...cards);
}

async function loadProvenance(box, url) {
  let manifest;
  try { manifest = await api(url); } catch (err) { box.append(el('p', { text: err.message })); return; }
  const dl = el('dl');
  const add = (k, v) => { dl.append(el('dt', { text: k }), el('dd', { text: String(v) })); };
  // Any manifest shape: scalars as "path: value"; a C2PA-style list of {label, data} assertions by label.
  const walk = (value, path, depth) => {
    if (dl.children.length >= 60 || value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const labelled = item && typeof item === 'object' && typeof item.label === 'string' && 'data' in item;
        if (labelled) walk(item.data, `${path}${item.label}.`, depth + 1);
        else walk(item, `${path}${i}.`, depth + 1);
      });
    } else if (typeof value === 'object') {
      if (depth > 5) return;
      for (const [k, v] of Object.entries(value)) walk(v, `${path}${k}.`, depth + 1);
    } else {
      // The last two steps of the path name a field well enough ("watermark.payload", "parameters.seed").
      add(path.replace(/\.$/, '').split('.').slice(-2).join('.'), value);
    }
  };
  walk(manifest, '', 0);
  box.append(dl);
}

async function deleteJob() {
  const id = state.jobId;
  if (!id || !confirm('Delete this job and its files?')) return;
  try { await api(`/api/jobs/${id}`, { method: 'DELETE' }); } catch (err) { $('job-error').textContent = err.message; return; }
  state.jobId = null;
  clearTimeout(state.poll);
  history.replaceState(null, '', location.pathname);
  $('job-view').hidden = true;
  $('job-empty').hidden = false;
  refreshHistory();
}

// ---------- start ----------

async function start() {
  wireForm();
  $('job-delete').addEventListener('click', deleteJob);
  try {
    state.config = await api('/api/config');
    $('drop-hint').textContent = `up to ${mb(state.config.maxUploadBytes)} · MP4, MOV, MKV, WebM…`;
    $('candidates').max = state.config.maxCandidates;
    $('steps').max = state.config.maxSteps;
    $('logout').hidden = !state.config.tokenRequired;
  } catch (err) {
    $('form-error').textContent = `The server did not answer: ${err.message}`;
  }
  await refreshHistory();
  setInterval(refreshHistory, HISTORY_MS);
  const m = /^#job=([0-9a-f]{32})$/.exec(location.hash);
  if (m) openJob(m[1]);
}

start();
