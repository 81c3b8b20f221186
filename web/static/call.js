// The call page: joins a call over the WebSocket protocol in docs/protocol.md, sends the
// microphone over WebRTC, shows the avatar's video, captions, citations and state, and
// recovers from a dropped socket by resuming the call with an ICE restart.

const $ = (id) => document.getElementById(id);
const root = $("call");
const T = JSON.parse($("call-texts").textContent);
const lawyer = Number(root.dataset.lawyer);
const readyText = $("status-text").textContent;

// state of this page's call; exposed as window.fayunCall for tests and debugging.
const call = {
  ws: null, pc: null, dc: null, mic: null,
  id: "", resume: "", lang: root.dataset.lang || "zh",
  state: "idle", ended: false, hungUp: false, reconnects: 0,
  captions: [], citations: [], states: [], turns: [], errors: [],
  handoffs: [], lawyer: null, callback: "",
  pendingCandidates: [],
};
window.fayunCall = call;

function fmt(s, n) { return s.replace("%d", String(n)); }

function banner(kind, text, action) {
  const b = $("banner");
  if (!text) { b.hidden = true; return; }
  b.className = "alert " + kind;
  b.textContent = text;
  if (action) {
    const btn = document.createElement("button");
    btn.className = "btn";
    btn.type = "button";
    btn.textContent = action.label;
    btn.addEventListener("click", action.run);
    b.append(" ", btn);
  }
  b.hidden = false;
}

function setState(s) {
  call.state = s;
  call.states.push(s);
  root.dataset.state = s;
  $("status-text").textContent = T[s] || s;
  $("who-kind").textContent = s === "lawyer" ? T.lawyer_name : T.avatar;
  if (s === "ended") finish(T.ended_by_server);
}

// --- joining ---------------------------------------------------------------------

async function listMics() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const sel = $("mic");
    const keep = sel.value;
    sel.length = 1;
    for (const d of devices.filter((d) => d.kind === "audioinput" && d.deviceId)) {
      const o = new Option(d.label || d.deviceId.slice(0, 8), d.deviceId);
      sel.add(o);
    }
    sel.value = keep;
  } catch { /* the default microphone still works */ }
}

async function getMic() {
  banner("info", T.mic_asking);
  const deviceId = $("mic").value;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        deviceId: deviceId ? { exact: deviceId } : undefined,
        echoCancellation: true, noiseSuppression: true, autoGainControl: true,
      },
    });
    banner();
    listMics();
    return stream;
  } catch (err) {
    const msg = err.name === "NotAllowedError" ? T.mic_denied
      : err.name === "NotFoundError" ? T.mic_missing : T.mic_busy;
    banner("error", msg, { label: T.retry, run: () => start(true) });
    throw err;
  }
}

async function start(withMic) {
  if (!window.RTCPeerConnection) { banner("error", T.video_unsupported); return; }
  $("start").disabled = $("start-text").disabled = true;
  call.lang = $("call-lang").value;
  try {
    if (withMic) call.mic = await getMic();
  } catch {
    $("start").disabled = $("start-text").disabled = false;
    return;
  }
  $("join").hidden = true;
  $("controls").hidden = false;
  $("transcript-panel").hidden = false;
  $("status-text").textContent = T.connecting;
  $("mute").disabled = !call.mic;
  connect();
}

// connect opens the signaling socket and joins, or resumes when a token is held.
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws/call`);
  call.ws = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    const join = { type: "join", lawyer, lang: call.lang };
    if (call.resume) join.resume = call.resume;
    send(join);
  };
  ws.onmessage = (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    onSignal(m).catch((err) => console.error("signal", m.type, err));
  };
  ws.onclose = () => {
    if (call.ws !== ws || call.ended) return;
    if (!call.id) {
      // Joining failed: a refusal has been shown already, or the server is unreachable.
      if (!opened) banner("error", T.ws_failed, { label: T.retry, run: retryJoin });
      return;
    }
    reconnect();
  };
}

function retryJoin() { banner(); connect(); }

// busy tells the caller the service is full, with their place in line, and tries again
// by itself when the server says it may.
function busy(m) {
  const wait = Math.max(1, Math.round((m.retry_after_ms || 20000) / 1000));
  let text = fmt(T.busy, wait);
  if (m.position) text += " " + fmt(T.busy_position, m.position);
  const again = () => { clearTimeout(call.retryTimer); banner(); start(!!call.mic); };
  banner("warn", text, { label: T.retry_now, run: again });
  call.retryTimer = setTimeout(again, wait * 1000);
}

function send(m) {
  if (call.ws && call.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify(m));
}

async function onSignal(m) {
  switch (m.type) {
    case "joined": return onJoined(m);
    case "answer":
      await call.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
      for (const c of call.pendingCandidates.splice(0)) await call.pc.addIceCandidate(c);
      return;
    case "candidate":
      if (!m.candidate) return;
      if (call.pc && call.pc.remoteDescription) await call.pc.addIceCandidate(m.candidate);
      else call.pendingCandidates.push(m.candidate);
      return;
    case "state": return setState(m.state);
    case "error":
      call.errors.push(m);
      if (!call.id) {
        call.ws.close();
        $("join").hidden = false;
        $("controls").hidden = true;
        $("start").disabled = $("start-text").disabled = false;
        $("status-text").textContent = readyText;
      }
      if (m.code === "over_capacity" || m.code === "rate_limited") return busy(m);
      banner("error", T["err_" + m.code] || m.message || m.code);
      return;
  }
}

async function onJoined(m) {
  const resuming = call.pc && call.id === m.call;
  call.id = m.call;
  call.resume = m.resume;
  if (m.transcript) call.transcript = m.transcript;
  root.dataset.call = m.call;
  if (resuming) {
    // The socket came back: restart ICE on the existing connection (RFC 8445 §9).
    const offer = await call.pc.createOffer({ iceRestart: true });
    await call.pc.setLocalDescription(offer);
    send({ type: "offer", sdp: offer.sdp });
    banner("info", T.reconnected);
    setTimeout(() => banner(), 2000);
    return;
  }
  const pc = new RTCPeerConnection({ iceServers: m.ice_servers || [] });
  call.pc = pc;
  if (call.mic) {
    pc.addTransceiver(call.mic.getAudioTracks()[0], { direction: "sendrecv", streams: [call.mic] });
  } else {
    pc.addTransceiver("audio", { direction: "sendrecv" });
  }
  pc.addTransceiver("video", { direction: "recvonly" });
  const dc = pc.createDataChannel("events");
  call.dc = dc;
  dc.onmessage = (e) => { try { onEvent(JSON.parse(e.data)); } catch { /* ignore */ } };
  pc.onicecandidate = (e) => {
    if (e.candidate) send({ type: "candidate", candidate: e.candidate.toJSON() });
  };
  pc.ontrack = (e) => {
    const stream = e.streams[0] || new MediaStream([e.track]);
    if (e.track.kind === "video") {
      const v = $("remote-video");
      v.srcObject = stream;
      v.onplaying = () => root.classList.add("has-video");
      v.play().catch(() => {});
    } else {
      const a = $("remote-audio");
      a.srcObject = stream;
      a.play().catch(() => {});
    }
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed" && !call.ended) reconnect();
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: "offer", sdp: offer.sdp });
  setInterval(quality, 1000);
}

// reconnect reopens the socket with the resume token; the server keeps the call for a
// grace period.
function reconnect() {
  if (call.ended) return;
  call.reconnects++;
  banner("warn", T.reconnecting);
  if (call.reconnects > 8) { banner("error", T.reconnect_failed); finish(T.reconnect_failed); return; }
  setTimeout(connect, Math.min(500 * call.reconnects, 3000));
}

// --- events from the data channel ------------------------------------------------

let partial = null; // the caption element being updated

function onEvent(e) {
  switch (e.type) {
    case "state": return setState(e.state);
    case "caption": return caption(e);
    case "citation": return citation(e);
    case "turn":
      call.turns.push(e);
      if (e.voice_to_voice_ms || e.total_ms) {
        $("status").title = fmt(T.latency, e.voice_to_voice_ms || e.total_ms);
      }
      return;
    case "handoff": return onHandoff(e);
    case "lawyer": return onLawyer(e);
    case "callback":
      call.callback = e.status;
      $("callback").hidden = true;
      $("callback-done").hidden = false;
      return;
    case "error":
      call.errors.push(e);
      if (e.code === "bad_callback") { callbackError(T.callback_bad); return; }
      banner("warn", (T.error_prefix || "") + (e.message || e.code));
      return;
  }
}

// --- a human lawyer (docs/protocol.md §3: handoff and lawyer events) ------------------

function lawyerLabel(l) { return (l && l.name) || T.lawyer_name; }

// onHandoff follows the request for a person: requested, accepted, unanswered, or
// unavailable/failed.
function onHandoff(e) {
  call.handoffs.push(e.status);
  switch (e.status) {
    case "requested": banner("info", T.handoff_requested); break;
    case "accepted": banner("info", T.handoff_accepted.replace("%s", lawyerLabel(e.lawyer))); break;
    case "unanswered":
      banner("warn", T.handoff_unanswered);
      $("callback-panel").hidden = false;
      $("callback-contact").focus({ preventScroll: true });
      break;
    default: banner("warn", T.handoff_unavailable);
  }
}

// onLawyer shows who the caller is talking to while a lawyer is in the call.
function onLawyer(e) {
  if (e.status === "joined") {
    call.lawyer = e.lawyer || {};
    $("who-name").textContent = lawyerLabel(e.lawyer);
    root.classList.add("with-lawyer");
    banner("info", T.handoff_joined.replace("%s", lawyerLabel(e.lawyer)));
  } else if (e.status === "left") {
    call.lawyer = null;
    $("who-name").textContent = root.dataset.name;
    root.classList.remove("with-lawyer");
    banner("info", T.handoff_left);
    setTimeout(() => { if (!call.lawyer) banner(); }, 6000);
  }
}

function callbackError(text) {
  const p = $("callback-error");
  p.textContent = text;
  p.hidden = !text;
  $("callback-contact").setAttribute("aria-invalid", String(Boolean(text)));
}

$("callback").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const contact = String(form.get("contact") || "").trim();
  const kind = String(form.get("contact_kind"));
  // The server checks the number or id (handoffs.plausibleContact) and answers bad_callback.
  if (!contact) { callbackError(T.callback_bad); return; }
  callbackError("");
  sendEvent({ type: "callback", contact_kind: kind, contact, window: String(form.get("window")) });
});

function caption(e) {
  e.text = e.text || "";
  call.captions.push(e);
  const box = $("captions");
  box.textContent = e.text + (e.interrupted ? " " + T.interrupted : "");
  box.dataset.speaker = e.speaker;
  if (!e.final) {
    if (!partial) { partial = transcriptLine(e.speaker); }
    partial.querySelector(".text").textContent = e.text;
    return;
  }
  const line = partial && partial.dataset.speaker === e.speaker ? partial : transcriptLine(e.speaker);
  line.querySelector(".text").textContent = e.text + (e.interrupted ? " " + T.interrupted : "");
  line.classList.remove("partial");
  partial = null;
}

function transcriptLine(speaker) {
  const li = document.createElement("li");
  li.className = "line partial " + speaker;
  li.dataset.speaker = speaker;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = speaker === "user" ? T.you : speaker === "lawyer" ? T.lawyer_name : T.avatar;
  const text = document.createElement("span");
  text.className = "text";
  li.append(who, text);
  const list = $("transcript");
  list.append(li);
  list.scrollTop = list.scrollHeight; // scroll the list, not the page
  return li;
}

function citation(c) {
  call.citations.push(c);
  $("cites-panel").hidden = false;
  const key = c.law + "#" + c.article;
  const list = $("citations");
  if (list.querySelector(`[data-key="${CSS.escape(key)}"]`)) return;
  const li = document.createElement("li");
  li.className = "cite";
  li.dataset.key = key;
  const h = document.createElement("h3");
  h.textContent = citeTitle(c);
  const p = document.createElement("p");
  p.textContent = c.text || "";
  const btn = document.createElement("button");
  btn.type = "button";
  btn.className = "link-button";
  btn.textContent = T.open_article;
  btn.addEventListener("click", () => openArticle(c));
  li.append(h, p, btn);
  list.append(li);
}

// citeTitle names an article as readers of the page's language expect.
function citeTitle(c) {
  if (call.lang === "zh" && c.label) return c.label;
  return `${c.law} ${fmt(T.article, c.article)}`;
}

async function openArticle(c) {
  $("article-title").textContent = citeTitle(c);
  const body = $("article-body");
  body.textContent = c.text || "";
  $("article-dialog").showModal();
  try {
    const r = await fetch(`/api/articles?law=${encodeURIComponent(c.law)}&article=${c.article}`);
    if (r.ok) {
      const a = await r.json();
      body.textContent = "";
      if (a.chapter) {
        const ch = document.createElement("p");
        ch.className = "muted";
        ch.textContent = a.chapter;
        body.append(ch);
      }
      for (const para of String(a.text).split("\n")) {
        const p = document.createElement("p");
        p.textContent = para;
        body.append(p);
      }
    }
  } catch { /* the short text stays */ }
}

// --- controls ----------------------------------------------------------------------

function sendEvent(m) {
  if (call.dc && call.dc.readyState === "open") { call.dc.send(JSON.stringify(m)); return true; }
  return false;
}

$("ask").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("ask-text");
  const text = input.value.trim();
  if (!text) { banner("warn", T.empty_question); return; }
  if (sendEvent({ type: "ask", text })) { input.value = ""; banner(); }
});

$("mute").addEventListener("click", () => {
  if (!call.mic) return;
  const track = call.mic.getAudioTracks()[0];
  track.enabled = !track.enabled;
  $("mute").setAttribute("aria-pressed", String(!track.enabled));
  $("mute-text").textContent = track.enabled ? T.mute : T.unmute;
});

$("human").addEventListener("click", () => {
  if (sendEvent({ type: "handoff" })) banner("info", T.human_sent);
});

$("hangup").addEventListener("click", () => {
  call.hungUp = true;
  send({ type: "hangup" });
  finish(T.ended_by_you);
});

$("call-lang").addEventListener("change", (e) => {
  call.lang = e.target.value;
  sendEvent({ type: "lang", lang: call.lang });
});

document.addEventListener("keydown", (e) => {
  if (e.key === "m" && e.altKey) $("mute").click();
});

$("start").addEventListener("click", () => start(true));
$("start-text").addEventListener("click", () => start(false));
listMics();

// --- quality and ending --------------------------------------------------------------

async function quality() {
  if (!call.pc || call.ended) return;
  const stats = await call.pc.getStats();
  let rtt = 0, lost = 0, got = 0;
  const totals = { audioSamples: 0, videoFrames: 0 };
  stats.forEach((s) => {
    if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime) rtt = s.currentRoundTripTime;
    if (s.type !== "inbound-rtp") return;
    lost += s.packetsLost || 0;
    got += s.packetsReceived || 0;
    if (s.kind === "audio") totals.audioSamples += s.totalSamplesReceived || 0;
    if (s.kind === "video") totals.videoFrames += s.framesDecoded || 0;
  });
  call.stats = totals;
  const loss = got ? lost / (lost + got) : 0;
  const level = rtt > 0.4 || loss > 0.08 ? "poor" : rtt > 0.15 || loss > 0.02 ? "fair" : "good";
  const q = $("quality");
  q.hidden = false;
  q.dataset.level = level;
  $("quality-text").textContent = T["q_" + level];
}

function finish(text) {
  if (call.ended) return;
  call.ended = true;
  if (call.ws) call.ws.close();
  if (call.pc) call.pc.close();
  if (call.mic) call.mic.getTracks().forEach((t) => t.stop());
  $("controls").hidden = true;
  $("ended").hidden = false;
  $("ended-text").textContent = text;
  root.dataset.state = "ended";
  $("status-text").textContent = T.ended;
  banner();
  if (call.id) {
    if (call.transcript) {
      const link = $("transcript-link");
      link.href = `/transcripts/${encodeURIComponent(call.transcript)}`;
      link.hidden = false;
    }
    $("rating-dialog").showModal();
  }
}

$("rating").addEventListener("submit", async (e) => {
  const form = e.target;
  if (e.submitter && e.submitter.value === "skip") return;
  e.preventDefault();
  const score = Number(new FormData(form).get("score"));
  try {
    const r = await fetch(`/api/calls/${encodeURIComponent(call.id)}/rating`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: call.transcript || "", score, comment: $("comment").value }),
    });
    if (!r.ok) throw new Error(String(r.status));
    $("rating-dialog").close();
    banner("info", T.rating_thanks);
  } catch {
    const p = $("rating-error");
    p.textContent = T.rating_failed;
    p.hidden = false;
  }
});
