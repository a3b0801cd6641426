// The playground page: models and voices from the HTTP API, speech over the native WebSocket
// (/v1/audio/speech/stream, key as ?api_key=) played with Web Audio as it arrives, live TTFA and
// RTF, clone-from-upload (POST /v1/audio/voices), and the result as a WAV built here.
// window.playground.stats is the test hook: samples scheduled into the audio graph, the server's
// audio.done event, the measured TTFA/RTF and the size of the WAV offered for download.

const LEAD_S = 0.05; // s of headroom when playback starts or restarts after running dry
const KEY_STORE = "qtts.apiKey";
const $ = (id) => document.getElementById(id);

const stats = {};
const resetStats = () =>
  Object.assign(stats, { samples: 0, chunks: 0, underruns: 0, ttfa_ms: null, rtf: null, done: null, wav_bytes: 0 });
let models = []; // /v1/models entries of served engines: {id, model_type, speakers, languages}
let saved = []; // saved voices: {name, models (the served models it loads on), ...}; none without a voices API
let session = null; // the running Speak: {ws, t0, rate, chunks, received, stopped, failed}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function key() {
  return $("key").value.trim();
}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: key() ? { Authorization: `Bearer ${key()}` } : {} });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

function report(message, error = false) {
  $("status").textContent = message;
  $("status").classList.toggle("error", error);
}

// ------------------------------------------------------------------------------ lists
async function loadLists() {
  try {
    models = (await api("/v1/models")).data.filter((m) => m.model_type);
    report("");
    saved = await loadSaved();
  } catch (e) {
    [models, saved] = [[], []];
    report(`${e.message}${e.status === 401 || e.status === 403 ? " (enter the API key above)" : ""}`, true);
  }
  fill($("model"), [["", models.map((m) => m.id)]]);
  onModel();
}

async function loadSaved() {
  try {
    return (await api("/v1/audio/voices")).uploaded_voices.filter((v) => !v.error);
  } catch (e) {
    if (e.status !== 404) report(`Saved voices: ${e.message}`, true); // 404: this server has no voices API
    return [];
  }
}

function fill(select, groups) {
  const previous = select.value;
  select.replaceChildren();
  for (const [label, values] of groups) {
    if (!values.length) continue;
    const parent = label ? select.appendChild(Object.assign(document.createElement("optgroup"), { label })) : select;
    for (const v of values) parent.append(new Option(v, v));
  }
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  select.disabled = select.options.length === 0;
}

function model() {
  return models.find((m) => m.id === $("model").value);
}

function onModel() {
  const m = model();
  const usable = saved.filter((v) => v.models.includes(m?.id)).map((v) => v.name);
  fill($("voice"), [["Speakers", m?.speakers ?? []], ["Saved voices", usable]]);
  fill($("language"), [["", m?.languages ?? []]]);
}

// --------------------------------------------------------------------------- playback
class Player {
  ctx = null;
  sources = new Set();
  next = 0; // AudioContext time where the next chunk starts
  underruns = 0;

  start() {
    this.ctx ??= new AudioContext({ latencyHint: "interactive" });
    this.ctx.resume();
    this.next = 0;
    this.underruns = 0;
  }

  /** Schedule s16le mono PCM right after the previous chunk; returns the samples scheduled. */
  play(bytes, rate) {
    const view = new DataView(bytes);
    const n = bytes.byteLength >> 1;
    const buffer = this.ctx.createBuffer(1, n, rate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < n; i++) data[i] = view.getInt16(2 * i, true) / 32768;
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const now = this.ctx.currentTime;
    if (this.next && this.next < now) this.underruns++;
    const at = Math.max(this.next, now + LEAD_S);
    source.start(at);
    this.next = at + buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    return buffer.length;
  }

  stop() {
    for (const s of this.sources) s.stop();
    this.sources.clear();
    this.next = 0;
  }
}

const player = new Player();

function wavBlob(chunks, rate, samples) {
  const header = new DataView(new ArrayBuffer(44));
  const ascii = (at, s) => [...s].forEach((c, i) => header.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  header.setUint32(4, 36 + 2 * samples, true);
  ascii(8, "WAVEfmt ");
  header.setUint32(16, 16, true); // fmt chunk size
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, rate, true);
  header.setUint32(28, 2 * rate, true); // bytes per second
  header.setUint16(32, 2, true); // block align
  header.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  header.setUint32(40, 2 * samples, true);
  return new Blob([header, ...chunks], { type: "audio/wav" });
}

// ------------------------------------------------------------------------------ speech
function sessionConfig() {
  const c = { type: "session.config", model: $("model").value };
  if ($("voice").value) c.voice = $("voice").value;
  if ($("language").value) c.language = $("language").value;
  if ($("instruct").value.trim()) c.instructions = $("instruct").value.trim();
  if ($("seed").value !== "") c.seed = Number($("seed").value);
  return c;
}

function setBusy(busy) {
  $("speak").disabled = busy;
  $("stop").disabled = !busy;
}

function showMeters() {
  const s = session;
  $("ttfa").textContent = stats.ttfa_ms === null ? "–" : `${Math.round(stats.ttfa_ms)} ms`;
  $("rtf").textContent = stats.rtf === null ? "–" : stats.rtf.toFixed(2);
  $("audio-s").textContent = s ? `${(s.received / s.rate).toFixed(2)} s` : "–";
  $("finish").textContent = stats.done?.finish_reason ?? "–";
}

function speak() {
  if (session) return;
  const text = $("text").value;
  if (!text.trim()) return report("Type some text first.", true);
  player.start(); // inside the click: the browser lets the page play audio
  resetStats();
  $("download").hidden = true;
  const url = new URL("/v1/audio/speech/stream", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (key()) url.searchParams.set("api_key", key());
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const s = (session = { ws, t0: performance.now(), rate: 24000, chunks: [], received: 0, stopped: false, failed: false });
  setBusy(true);
  showMeters();
  report("Connecting…");
  const send = (message) => ws.send(JSON.stringify(message));
  ws.onopen = () => send(sessionConfig());
  ws.onmessage = (e) => {
    if (typeof e.data !== "string") return onAudio(s, e.data);
    const event = JSON.parse(e.data);
    if (event.type === "session.updated") {
      send({ type: "input.text", text });
      send({ type: "input.done" });
      report("Synthesizing…");
    } else if (event.type === "audio.start") {
      s.rate = event.sample_rate;
    } else if (event.type === "audio.done") {
      onDone(s, event);
      send({ type: "session.close" });
    } else if (event.type === "error") {
      s.failed = true;
      report(event.error.message, true);
      if (ws.readyState === WebSocket.OPEN) send({ type: "session.close" });
    }
  };
  ws.onclose = (e) => {
    const why = e.reason || (s.chunks.length ? "" : "refused or dropped: check the API key");
    if (s.stopped && !stats.done) report("Stopped.");
    else if (!stats.done && !s.failed) report(`The connection closed (${e.code}${why ? `: ${why}` : ""}).`, true);
    session = null;
    setBusy(false);
  };
}

function onAudio(s, bytes) {
  s.chunks.push(bytes);
  s.received += bytes.byteLength >> 1;
  const elapsed = performance.now() - s.t0;
  stats.ttfa_ms ??= elapsed;
  stats.rtf = elapsed / 1000 / (s.received / s.rate);
  if (!s.stopped) {
    stats.samples += player.play(bytes, s.rate);
    stats.chunks++;
    stats.underruns = player.underruns;
  }
  showMeters();
}

function onDone(s, event) {
  stats.done = event;
  const blob = wavBlob(s.chunks, s.rate, s.received);
  stats.wav_bytes = blob.size;
  const link = $("download");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.hidden = s.received === 0;
  showMeters();
  if (s.failed) return; // the error stays on screen
  const t = event.timings ?? {};
  report(`Done (${event.finish_reason}): ${(s.received / s.rate).toFixed(2)} s of audio; server TTFA ` +
         `${Math.round(1000 * (t.ttfa_s ?? NaN))} ms, RTF ${(t.rtf ?? NaN).toFixed(2)}.`);
}

function stop() {
  if (!session) return;
  session.stopped = true;
  player.stop();
  if (session.ws.readyState === WebSocket.OPEN) session.ws.send(JSON.stringify({ type: "input.cancel" }));
  else session.ws.close();
  report("Stopping…");
}

// ------------------------------------------------------------------------------ clone
async function cloneVoice(e) {
  e.preventDefault();
  const name = $("clone-name").value.trim();
  const form = new FormData();
  form.set("file", $("clone-file").files[0]);
  form.set("name", name);
  form.set("consent", "true");
  if ($("clone-text").value.trim()) form.set("ref_text", $("clone-text").value.trim());
  if (model()?.model_type === "base") form.set("model", model().id); // else the server's first Base model
  report("Uploading…");
  let voice;
  try {
    ({ voice } = await api("/v1/audio/voices", { method: "POST", body: form }));
  } catch (err) {
    return report(`Upload: ${err.message}`, true);
  }
  saved = await loadSaved();
  if (voice.models.length && !voice.models.includes($("model").value)) $("model").value = voice.models[0];
  onModel();
  $("voice").value = name;
  report(`Saved voice "${name}" selected.`);
}

// ------------------------------------------------------------------------------- wiring
$("key").value = localStorage.getItem(KEY_STORE) ?? "";
$("key").addEventListener("change", () => {
  localStorage.setItem(KEY_STORE, key());
  loadLists();
});
$("model").addEventListener("change", onModel);
$("speak").addEventListener("click", speak);
$("stop").addEventListener("click", stop);
$("clone").addEventListener("submit", cloneVoice);
window.playground = { stats, speak, stop };
resetStats();
loadLists();
