// The lawyer console: duty, live queue, request detail, accept/decline, joining a call.
const root = document.getElementById("console");
const zh = root.dataset.lang !== "en";
const me = Number(root.dataset.lawyer);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const labels = JSON.parse($("console-labels").textContent);
const topicName = (c) => (c && labels.topics[c]) || c || "—";
const reasonName = (c) => (c && labels.reasons[c]) || c || "—";
const T = zh ? {
  title: "律师工作台", offer: "请您接听", waiting: "等待", sec: "秒", min: "分",
  taken: "已被其他律师接听", accepted: "已接听，正在接入通话…", media: "请允许摄像头和麦克风后重试。",
  you: "咨询人", avatar: "数字律师", lawyer: "律师", left: "已交还数字律师", ended: "通话已结束",
  topic: "主题", reason: "原因", callback: "回电", mine: "我的通话", lost: "连接中断，正在重连…",
  phone: "电话", wechat: "微信", incall: "通话中",
} : {
  title: "Lawyer console", offer: "Offered to you", waiting: "waiting", sec: "s", min: "min",
  taken: "Another lawyer already took this call", accepted: "Accepted, joining the call…",
  media: "Please allow the camera and microphone, then retry.", you: "Caller",
  avatar: "Digital lawyer", lawyer: "Lawyer", left: "Handed back to the avatar",
  ended: "The call has ended", topic: "Topic", reason: "Reason", callback: "Call back",
  mine: "My call", lost: "Connection lost, reconnecting…", phone: "Phone", wechat: "WeChat", incall: "In the call",
};

let state = { queue: [], callbacks: [], offers: 0 };
let selected = 0;
let ws = null;
let pc = null;
let local = null;

// The console's live state, exposed as window.fayunConsole for tests and debugging.
const con = {
  get state() { return state; }, get ws() { return ws; }, get pc() { return pc; },
  stats: null, errors: [],
};
window.fayunConsole = con;

async function api(method, path, body) {
  const res = await fetch(path, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) { location.href = "/signin?next=/console"; throw new Error("signed out"); }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.message || res.statusText), { code: data.error });
  return data;
}

function waited(s) { return s < 60 ? `${s}${T.sec}` : `${Math.floor(s / 60)}${T.min}`; }

function render() {
  const q = $("queue");
  q.replaceChildren();
  for (const h of state.queue) {
    const li = document.createElement("li");
    li.className = h.offered_to_me ? "offer" : "";
    const b = document.createElement("button");
    b.dataset.id = h.id;
    if (h.id === selected) b.setAttribute("aria-current", "true");
    const tag = h.offered_to_me ? `${T.offer} · ` : h.mine ? `${T.mine} · ` : "";
    b.textContent = `${tag}${topicName(h.topic)} · ${T.waiting} ${waited(h.waiting_s)}` +
      (h.enterprise ? ` · ${h.enterprise}` : "");
    b.onclick = () => select(h.id);
    li.append(b);
    q.append(li);
  }
  $("queue-empty").hidden = state.queue.length > 0;
  $("queue-count").textContent = String(state.queue.filter((h) => !h.mine).length);
  const cb = $("callbacks");
  cb.replaceChildren();
  for (const c of state.callbacks) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.textContent = `${c.contact_kind === "wechat" ? T.wechat : T.phone} ${c.contact} · ` +
      `${c.time_window || "—"} · ${topicName(c.topic)}`;
    b.title = T.callback;
    b.onclick = async () => { await api("POST", `/api/console/callbacks/${c.id}/done`); refresh(); };
    li.append(b);
    cb.append(li);
  }
  $("callbacks-empty").hidden = state.callbacks.length > 0;
  const n = state.queue.filter((h) => !h.mine).length;
  document.title = `${state.offers ? "🔔 " : ""}(${n}) ${T.title}`;
  root.classList.toggle("ringing", state.offers > 0);
  $("duty").checked = state.lawyer.on_duty;
}

let lastOffers = 0;
async function refresh() {
  try {
    state = await api("GET", "/api/console/state");
  } catch { return; }
  if (state.offers > lastOffers) ring();
  lastOffers = state.offers;
  render();
  const mine = state.queue.find((h) => h.mine);
  if (mine && !pc) join(mine.id);
}

function ring() {
  try {
    const ac = new AudioContext();
    for (const [i, f] of [880, 660, 880].entries()) {
      const o = ac.createOscillator();
      const g = ac.createGain();
      o.frequency.value = f;
      g.gain.value = 0.15;
      o.connect(g).connect(ac.destination);
      o.start(ac.currentTime + i * 0.25);
      o.stop(ac.currentTime + i * 0.25 + 0.2);
    }
  } catch { /* no audio: the visual alert remains */ }
}

async function select(id) {
  selected = id;
  render();
  const err = $("detail-error");
  err.hidden = true;
  try {
    const d = await api("GET", `/api/console/handoffs/${id}`);
    $("detail-pick").hidden = true;
    $("detail").hidden = false;
    const h = d.handoff;
    $("accept").parentElement.hidden = !(h.status === "waiting" || h.status === "offered");
    $("detail-meta").textContent = `${T.topic}: ${topicName(h.topic)} · ${T.reason}: ${reasonName(h.reason)}` +
      (h.enterprise ? ` · ${h.enterprise}` : "");
    $("detail-summary").textContent = h.summary || "—";
    const tr = $("detail-transcript");
    tr.replaceChildren();
    for (const t of d.transcript) {
      if (t.question) tr.append(line(T.you, t.question));
      if (t.answer) tr.append(line(T.avatar, t.answer));
    }
  } catch (e) { showError(e.message); }
}

function line(who, text) {
  const li = document.createElement("li");
  li.className = "line";
  const w = document.createElement("span");
  w.className = "who";
  w.textContent = who;
  const s = document.createElement("span");
  s.className = "text";
  s.textContent = " " + text;
  li.append(w, s);
  return li;
}

function showError(msg) {
  const err = $("detail-error");
  err.textContent = msg;
  err.hidden = false;
}

async function accept() {
  if (!selected) return;
  try {
    await api("POST", `/api/console/handoffs/${selected}/accept`);
    showError(T.accepted);
    join(selected);
  } catch (e) { showError(e.code === "taken" ? T.taken : e.message); refresh(); }
}

async function decline() {
  if (!selected) return;
  try { await api("POST", `/api/console/handoffs/${selected}/decline`); } catch (e) { showError(e.message); }
  selected = 0;
  $("detail").hidden = true;
  $("detail-pick").hidden = false;
  refresh();
}

function send(m) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(m)); }

let joining = 0;
async function join(id) {
  if (pc || joining) return;
  joining = id;
  try {
    local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  } catch { showError(T.media); joining = 0; return; }
  $("self").srcObject = local;
  send({ type: "join", handoff: id });
}

async function startMedia() {
  pc = new RTCPeerConnection();
  for (const t of local.getTracks()) pc.addTrack(t, local);
  const remote = new MediaStream();
  pc.ontrack = (e) => {
    remote.addTrack(e.track);
    if (e.track.kind === "video") {
      // Callers usually talk by microphone only; their picture shows when they send one.
      $("remote").srcObject = remote;
      $("remote").hidden = false;
      root.classList.add("has-caller-video");
    }
    $("remote-audio").srcObject = remote;
  };
  pc.onicecandidate = (e) => { if (e.candidate) send({ type: "candidate", candidate: e.candidate.toJSON() }); };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: "offer", sdp: offer.sdp });
  $("incall-h").textContent = T.incall;
  $("incall-media").hidden = false;
  // The conversation so far stays in view; the live captions continue it.
  $("live-captions").replaceChildren(...[...$("detail-transcript").children].map((n) => n.cloneNode(true)));
  $("incall").hidden = false;
  $("detail").hidden = true;
}

// mediaStats keeps the inbound totals of the lawyer's connection in con.stats.
async function mediaStats() {
  if (!pc) return;
  const totals = { audioSamples: 0, videoFrames: 0 };
  (await pc.getStats()).forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    if (s.kind === "audio") $("caller-level").value = s.audioLevel || 0;
    if (s.kind === "audio") totals.audioSamples += s.totalSamplesReceived || 0;
    if (s.kind === "video") totals.videoFrames += s.framesDecoded || 0;
  });
  con.stats = totals;
}
setInterval(() => { mediaStats().catch(() => {}); }, 1000);

function stopMedia(msg) {
  if (pc) pc.close();
  pc = null;
  joining = 0;
  if (local) for (const t of local.getTracks()) t.stop();
  local = null;
  $("self").srcObject = null;
  $("remote").srcObject = null;
  $("remote").hidden = true;
  root.classList.remove("has-caller-video");
  $("incall-media").hidden = true;
  $("incall-h").textContent = msg;
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(`${proto}//${location.host}/ws/console`);
  ws.onopen = () => refresh();
  ws.onmessage = async (ev) => {
    const m = JSON.parse(ev.data);
    switch (m.type) {
      case "queue": refresh(); break;
      case "joined": await startMedia(); break;
      case "answer": await pc.setRemoteDescription({ type: "answer", sdp: m.sdp }); break;
      case "candidate": if (pc) await pc.addIceCandidate(m.candidate).catch(() => {}); break;
      case "caption": if (m.final) $("live-captions").append(line(m.speaker === "user" ? T.you :
        m.speaker === "lawyer" ? T.lawyer : T.avatar, m.text)); break;
      case "left": stopMedia(m.reason === "call_ended" || m.reason === "end" ? T.ended : T.left); refresh(); break;
      case "error": con.errors.push(m); showError(m.message); joining = 0; break;
    }
  };
  ws.onclose = () => { ws = null; setTimeout(connect, 2000); };
}

$("duty").addEventListener("change", async (e) => {
  try { await api("POST", "/api/console/duty", { on_duty: e.target.checked }); } catch (err) { showError(err.message); }
  refresh();
});
$("accept").onclick = accept;
$("decline").onclick = decline;
$("hand-back").onclick = () => send({ type: "hand_back" });
$("end").onclick = () => send({ type: "end" });
$("mute").onclick = (e) => {
  if (!local) return;
  for (const t of local.getAudioTracks()) t.enabled = !t.enabled;
  e.target.setAttribute("aria-pressed", String(!local.getAudioTracks()[0]?.enabled));
};
$("note-save").onclick = async () => {
  const id = joining || state.queue.find((h) => h.mine)?.id;
  if (id) await api("POST", `/api/console/handoffs/${id}/note`, { note: $("note").value }).catch((e) => showError(e.message));
};
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "a" || e.key === "A") accept();
  if (e.key === "d" || e.key === "D") decline();
  if (e.key === "j" || e.key === "ArrowDown" || e.key === "k" || e.key === "ArrowUp") {
    const ids = state.queue.map((h) => h.id);
    if (!ids.length) return;
    const i = ids.indexOf(selected);
    const next = e.key === "j" || e.key === "ArrowDown" ? i + 1 : i - 1;
    select(ids[(next + ids.length) % ids.length]);
  }
});
setInterval(() => { for (const h of state.queue) h.waiting_s++; if (state.queue.length) render(); }, 1000);
setInterval(refresh, 15000); // in case an event was missed
connect();
