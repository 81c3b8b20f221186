// The clip studio: queue a clip, follow its progress live (server-sent events, with
// polling when the stream is down), preview, download, retry and cancel.
const $ = (id) => document.getElementById(id);
const root = $("studio");
const T = $("studio-texts").dataset;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const clips = new Map();

function formData() {
  const f = $("clip-form");
  return {
    lawyer: Number(f.lawyer.value),
    script: f.script.value,
    title: f.title.value,
    size: f.querySelector('input[name="size"]:checked').value,
    formats: [...f.querySelectorAll('input[name="formats"]:checked')].map((x) => x.value),
    subtitles: $("subtitles").checked,
    speed: Number($("speed").value),
    pitch: Number($("pitch").value),
  };
}

async function post(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? "{}" : JSON.stringify(body),
  });
  if (!res.ok) {
    let msg = T.err;
    try { msg = (await res.json()).message || msg; } catch { /* not JSON */ }
    throw new Error(msg);
  }
  return res;
}

function showError(msg) {
  const el = $("form-error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

function button(label, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn small " + cls;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function play(url) {
  const v = $("player-video");
  $("player").hidden = false;
  v.src = url;
  v.load();
  v.scrollIntoView({ block: "nearest" });
}

function renderClip(c) {
  let li = document.querySelector(`li[data-id="${c.id}"]`);
  if (!li) {
    li = document.createElement("li");
    li.dataset.id = c.id;
    const list = $("clips");
    const next = [...list.children].find((x) => Number(x.dataset.id) < c.id);
    list.insertBefore(li, next || null);
  }
  li.dataset.status = c.status;
  li.className = "clip-item status-" + c.status;
  li.replaceChildren();
  const head = document.createElement("div");
  head.className = "clip-head";
  const name = document.createElement("strong");
  name.textContent = `#${c.id} ${c.title || c.script.slice(0, 24)}`;
  const meta = document.createElement("span");
  meta.className = "muted small";
  meta.textContent = ` ${c.lawyer_name} · ${c.size} · ${c.formats.join("/").toUpperCase()}`;
  head.append(name, meta);
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = c.progress;
  bar.setAttribute("aria-label", T[c.status] || c.status);
  const status = document.createElement("p");
  status.className = "clip-status small";
  status.textContent = `${T[c.status] || c.status} · ${c.progress}%` + (c.error ? ` · ${c.error}` : "");
  const actions = document.createElement("div");
  actions.className = "row";
  const busy = !["done", "failed", "cancelled"].includes(c.status);
  if (busy) {
    actions.append(button(T.cancel, "", () => act(c.id, "cancel")));
  }
  if (c.status === "failed" || c.status === "cancelled") {
    actions.append(button(T.retry, "", () => act(c.id, "retry")));
  }
  for (const [fmt, url] of Object.entries(c.urls || {})) {
    actions.append(button(`${T.play} ${fmt.toUpperCase()}`, "primary", () => play(url)));
    const a = document.createElement("a");
    a.className = "btn small";
    a.href = url + "?download=1";
    a.textContent = `${T.download} ${fmt.toUpperCase()}`;
    actions.append(a);
  }
  li.append(head, bar, status, actions);
  clips.set(c.id, c);
  $("clips-empty").hidden = clips.size > 0;
}

async function act(id, what) {
  try {
    const res = await post(`/api/studio/clips/${id}/${what}`);
    renderClip(await res.json());
  } catch (e) {
    showError(e.message);
  }
}

function renderList(list) {
  for (const c of list) renderClip(c);
}

// Live updates: server-sent events; while the stream is down, poll every 3 s.
let pollTimer = null;
function startPolling() {
  $("offline").hidden = false;
  if (pollTimer) return;
  pollTimer = setInterval(async () => {
    try {
      const res = await fetch("/api/studio/clips");
      if (res.ok) renderList(await res.json());
    } catch { /* keep polling */ }
  }, 3000);
}
function stopPolling() {
  $("offline").hidden = true;
  clearInterval(pollTimer);
  pollTimer = null;
}
function connect() {
  const es = new EventSource("/api/studio/events");
  es.addEventListener("clips", (e) => { stopPolling(); renderList(JSON.parse(e.data)); });
  es.addEventListener("clip", (e) => renderClip(JSON.parse(e.data)));
  es.onerror = () => startPolling(); // EventSource reconnects by itself
}

$("clip-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  showError("");
  const btn = $("queue");
  btn.disabled = true;
  try {
    const res = await post("/api/studio/clips", formData());
    renderClip(await res.json());
  } catch (err) {
    showError(err.message);
  } finally {
    btn.disabled = false;
  }
});

$("preview").addEventListener("click", async () => {
  showError("");
  const btn = $("preview");
  btn.disabled = true;
  try {
    const res = await post("/api/studio/preview", formData());
    const audio = $("preview-audio");
    if (audio.src) URL.revokeObjectURL(audio.src);
    audio.src = URL.createObjectURL(await res.blob());
    audio.hidden = false;
    audio.play().catch(() => { /* the controls let the person start it */ });
  } catch (err) {
    showError(err.message);
  } finally {
    btn.disabled = false;
  }
});

$("lawyer").addEventListener("change", () => {
  const img = $("lawyer-portrait");
  if (img) img.src = `/avatars/${$("lawyer").value}.png`;
});

const script = $("script");
script.addEventListener("input", () => {
  $("script-count").textContent = [...script.value].length;
});
for (const id of ["speed", "pitch"]) {
  $(id).addEventListener("input", () => { $(id + "-out").textContent = $(id).value; });
}
root.dataset.ready = "1";
connect();
