// spps-station web UI: plain JavaScript, no build step. State from /api/state, live updates by
// server-sent events from /api/events. Every POST carries X-Spps-Ui: 1 (the server refuses others).
"use strict";
const page = document.body.dataset.page;
const $ = id => document.getElementById(id);
const devices = new Map();

async function call(method, url, body) {
  const response = await fetch(url, {
    method, headers: { "X-Spps-Ui": "1", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (data.error) throw new Error(`error ${data.error.code}: ${data.error.message}`);
  return data;
}

function text(tag, value, cls) {
  const cell = document.createElement(tag);
  cell.textContent = value ?? "";
  if (cls) cell.className = cls;
  return cell;
}

function renderTickets(tickets) {
  const body = document.querySelector("#tickets tbody");
  body.replaceChildren(...(tickets || []).map(t => {
    const row = document.createElement("tr");
    row.dataset.ticket = t.name;
    const left = t.left < 0 ? "unlimited" : String(t.left);
    row.append(text("td", t.name), text("td", t.action), text("td", t.device),
      text("td", t.maxDevice < 0 ? "unlimited" : t.maxDevice), text("td", t.issued),
      text("td", left, "left" + (t.left === 0 ? " zero" : "")), text("td", t.state));
    return row;
  }));
}

function renderJob(job) {
  if (!job) return;
  $("job").textContent = `Job ${job.job} · project ${job.project} · M-HSM ${job.mHsmUuid}`;
  $("job").className = "";
  const action = $("action");
  const chosen = action.value || job.selectedAction;
  action.replaceChildren(...job.actions.map(a => { const o = text("option", a); o.value = a; return o; }));
  if (job.actions.includes(chosen)) action.value = chosen;
  renderTickets(job.tickets);
}

function renderProgrammers(list) {
  const box = $("programmers");
  for (const p of list) {
    const label = document.createElement("label");
    const check = document.createElement("input");
    check.type = "checkbox"; check.value = p; check.checked = true;
    label.append(check, " " + p);
    box.append(label);
  }
}

function deviceWords(d) {
  if (d.state === "running") return "programming…";
  if (d.state === "passed") return d.message;
  if (d.state === "skipped") return `Skipped (no code used) — ${d.message}`;
  return `Refused — ${d.code} ${d.title}: ${d.message}`;
}

function renderDevice(d) {
  devices.set(d.location, d);
  let row = document.querySelector(`#devices tr[data-board="${CSS.escape(d.board)}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.board = d.board;
    const rows = [...document.querySelectorAll("#devices tbody tr")];
    const after = rows.find(r => r.dataset.board > d.board);
    document.querySelector("#devices tbody").insertBefore(row, after || null);
  }
  row.className = d.state;
  row.replaceChildren(text("td", d.board), text("td", d.dsn || ""), text("td", d.state, "state"), text("td", deviceWords(d), "result"));
}

function renderRun(run) {
  if (!run) return;
  const running = run.running;
  $("run").disabled = running; $("stop").disabled = !running;
  $("progress").max = Math.max(1, run.total); $("progress").value = run.done;
  $("progress-text").textContent = run.action
    ? `${run.action} ${run.done}/${run.total} · ${run.passed} passed · ${run.failed} failed${running ? "" : run.stopped ? " · stopped" : " · finished"}`
    : "Idle.";
}

function appendLog(line) {
  const log = $("log");
  log.textContent += line + "\n";
  log.scrollTop = log.scrollHeight;
}

function renderRefusals(refusals) {
  const body = document.querySelector("#refusals tbody");
  body.replaceChildren(...(refusals || []).map(r => {
    const row = document.createElement("tr");
    row.append(text("td", r.time), text("td", r.board), text("td", `${r.code} ${r.title}`), text("td", r.message));
    return row;
  }));
}

async function loadMhsm() {
  try {
    const state = await call("GET", "/api/mhsm");
    const m = state.mhsm;
    $("mhsm-uuid").textContent = m.uuid;
    $("mhsm-from").textContent = m.codesFrom;
    $("mhsm-rate").textContent = m.devicesPerHour == null ? "– (needs two codes in the last hour)" : Math.round(m.devicesPerHour).toLocaleString("en");
    $("mhsm-hour").textContent = m.issuedLastHour;
    $("mhsm-ledger").textContent = m.ledgerRecords;
    $("mhsm-browsers").textContent = state.browsersConnected;
    const run = state.run;
    $("mhsm-station").textContent = run.action ? `${run.running ? "running" : "last ran"} ${run.action}: ${run.done}/${run.total}, ${run.passed} passed, ${run.failed} failed` : "idle";
    renderTickets(m.tickets);
    renderRefusals(state.refusals);
  } catch (e) { $("mhsm-uuid").textContent = e.message; }
}

async function loadProgramming() {
  const state = await call("GET", "/api/state");
  renderProgrammers(state.programmers);
  renderJob(state.job);
  renderRun(state.run);
  for (const d of state.devices) renderDevice(d);
  $("log").textContent = "";
  for (const line of state.log) appendLog(line);
}

function listen() {
  const events = new EventSource("/api/events");
  events.onopen = () => { $("connection").textContent = "live"; };
  events.onerror = () => { $("connection").textContent = "reconnecting…"; };
  events.onmessage = message => {
    const e = JSON.parse(message.data);
    if (page === "mhsm") {
      if (e.type === "device" || e.type === "finished" || e.type === "job" || e.type === "listeners") loadMhsm();
      return;
    }
    if (e.type === "log") appendLog(e.line);
    if (e.type === "run") { renderRun(e.run); if (e.run.total === 0) { devices.clear(); document.querySelector("#devices tbody").replaceChildren(); } }
    if (e.type === "device") { renderDevice(e.device); if (e.run) renderRun(e.run); if (e.tickets) renderTickets(e.tickets); }
    if (e.type === "finished") { renderRun(e.run); renderJob(e.job); }
    if (e.type === "job") renderJob(e.job);
  };
}

function wireProgramming() {
  $("open-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    try { renderJob(await call("POST", "/api/open", { project: $("project").value })); }
    catch (e) { appendLog(e.message); $("job").textContent = e.message; $("job").className = "error"; }
  });
  $("run").addEventListener("click", async () => {
    const programmers = [...document.querySelectorAll("#programmers input:checked")].map(c => c.value);
    try { await call("POST", "/api/run", { action: $("action").value, programmers }); }
    catch (e) { appendLog(e.message); }
  });
  $("stop").addEventListener("click", () => call("POST", "/api/stop"));
  $("export").addEventListener("click", async () => {
    try { const r = await call("POST", "/api/export"); $("export-result").textContent = `Exported the job status to ${r.path}`; }
    catch (e) { $("export-result").textContent = e.message; }
  });
  $("complete").addEventListener("click", async () => {
    if (!confirm("Complete the job? This ends every ticket and destroys its keys.")) return;
    try { const r = await call("POST", "/api/complete", { terminate: $("terminate").checked }); $("export-result").textContent = `Completed the job; end status in ${r.path}`; }
    catch (e) { $("export-result").textContent = e.message; }
  });
}

if (page === "mhsm") { loadMhsm().then(listen); }
else { wireProgramming(); loadProgramming().then(listen); }
