// EBOK meter reader: the day's route kept on the phone, readings queued while offline and sent when the
// connection returns. Every queued item has an idempotency key, so sending it again never duplicates it.
// Billing rules live on the server only: the answer to a sent reading says whether it was accepted and which
// invoice was issued.
(function () {
  "use strict";

  const root = document.getElementById("routes");
  if (!root) return;
  const T = document.getElementById("texts").dataset;
  const ROUTE_KEY = "ebok-reader-route";
  const QUEUE_KEY = "ebok-reader-queue";
  const SENT_KEY = "ebok-reader-sent";
  const connection = document.getElementById("connection");
  let syncing = false;

  const load = (key, fallback) => {
    try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch (e) { return fallback; }
  };
  const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));
  const queue = () => load(QUEUE_KEY, []);
  const sent = () => load(SENT_KEY, {});
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
  const today = () => {
    const d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  };
  // The CSRF cookie; in production it may carry the __Host- prefix (only ever sent to this host over HTTPS).
  const csrf = () => (document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/) || [])[1] || "";
  const reasons = T.reasons.split(";").filter(Boolean).map((pair) => pair.split("="));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value; else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function showConnection() {
    const waiting = queue().length;
    connection.textContent = (navigator.onLine ? T.online : T.offline) + (waiting ? " " + T.waiting + " " + waiting + "." : "");
  }

  function parseValue(text) {
    const cleaned = text.replace(/\s/g, "").replace(",", ".");
    return /^\d+(\.\d{1,3})?$/.test(cleaned) ? Number(cleaned) : null;
  }

  function resultBox(point) {
    return document.getElementById("result-" + point);
  }

  function showResult(item, result) {
    const box = resultBox(item.point);
    if (!box) return;
    box.replaceChildren();
    if (!result) { box.append(el("p", { text: T.queued })); return; }
    if (!result.ok) { box.append(el("p", { class: "error", text: T.error + " " + (result.error || "") })); return; }
    if (item.kind === "no_access") { box.append(el("p", { text: T.noAccessSaved })); return; }
    for (const r of result.readings || []) {
      const label = r.status === "accepted" ? T.accepted : r.status === "held" ? T.held : T.refused;
      box.append(el("p", { class: "status status-" + r.status, text: label + (r.message ? " " + r.message : "") }));
    }
    if (result.billing_error) box.append(el("p", { text: result.billing_error }));
    if (result.invoice) {
      const inv = result.invoice;
      box.append(
        el("p", { text: T.invoice + " " + inv.number + ": " + inv.gross.replace(".", ",") + " zł" }),
        el("p", {}, el("a", { href: inv.receipt, class: "cta", text: T.print + " " + inv.number })),
        el("img", { src: inv.qr, alt: T.qr + " " + inv.number, class: "qr", width: "200", height: "200" })
      );
    }
  }

  function meterField(point, meter) {
    const id = "m-" + meter.id;
    const help = id + "-help";
    return el("div", { class: "field" },
      el("label", { for: id, text: T.meter + " " + meter.serial + (meter.garden ? " (" + T.garden + ")" : "") + ", m³" }),
      el("p", { class: "help", id: help,
        text: T.previous + " " + meter.previous_value + " (" + meter.previous_date + "). " + T.expected + " " + meter.expected_low + "–" + meter.expected_high + " m³" }),
      el("p", { class: "error", id: id + "-error", hidden: true }),
      el("input", { id: id, name: "meter_" + meter.id, type: "text", inputmode: "decimal", autocomplete: "off", "aria-describedby": help, "data-meter": meter.id,
        "data-low": meter.expected_low, "data-high": meter.expected_high, "data-digits": meter.digits })
    );
  }

  function readingForm(point) {
    const form = el("form", { class: "form read-form", novalidate: true, "data-point": point.id });
    for (const meter of point.meters) form.append(meterField(point, meter));
    form.append(
      el("div", { class: "field check" },
        el("input", { type: "checkbox", id: "inv-" + point.id, name: "invoice", checked: true }),
        el("label", { for: "inv-" + point.id, text: T.issue })),
      el("div", { class: "field" },
        el("label", { for: "photo-" + point.id, text: T.photo }),
        el("input", { type: "file", id: "photo-" + point.id, name: "photo", accept: "image/*", capture: "environment" })),
      el("p", {}, el("button", { type: "submit", class: "primary", text: T.save + " " + point.address }))
    );
    form.addEventListener("submit", (event) => { event.preventDefault(); submitReading(form, point); });
    return form;
  }

  function noAccessForm(point) {
    const select = el("select", { id: "reason-" + point.id, name: "reason" });
    for (const [value, label] of reasons) select.append(el("option", { value: value, text: label }));
    const form = el("form", { class: "form", novalidate: true },
      el("div", { class: "field" }, el("label", { for: "reason-" + point.id, text: T.reason }), select),
      el("div", { class: "field" }, el("label", { for: "note-" + point.id, text: T.note }),
        el("input", { type: "text", id: "note-" + point.id, name: "note", maxlength: "300" })),
      el("p", {}, el("button", { type: "submit", text: T.saveNoAccess + " " + point.address }))
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      enqueue({ key: newKey(), kind: "no_access", point: point.id, date: today(), reason: select.value, note: form.note.value });
    });
    return el("details", {}, el("summary", { text: T.noAccess }), form);
  }

  function render(data) {
    root.replaceChildren();
    if (!data.routes || !data.routes.length) { root.append(el("p", { text: T.noRoute })); return; }
    const done = sent();
    for (const route of data.routes) {
      root.append(el("h2", { text: route.name }));
      const list = el("ol", { class: "stops" });
      for (const point of route.points) {
        const status = T["status" + point.status.replace(/(^|_)(\w)/g, (m, s, c) => c.toUpperCase())] || point.status;
        list.append(el("li", { class: "stop", id: "point-" + point.id },
          el("h3", { text: point.address }),
          el("p", { text: point.name + " · " + status }),
          point.notes ? el("p", { class: "notice", text: point.notes }) : null,
          readingForm(point),
          noAccessForm(point),
          el("div", { class: "result", id: "result-" + point.id, role: "status" })
        ));
      }
      root.append(list);
    }
    for (const item of queue()) showResult(item, null);
    for (const entry of Object.values(done)) if (entry.result) showResult(entry.item, entry.result);
  }

  async function photoData(input) {
    const file = input && input.files && input.files[0];
    if (!file) return null;
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.8);
  }

  async function submitReading(form, point) {
    const values = {};
    let firstBad = null;
    for (const input of form.querySelectorAll("input[data-meter]")) {
      const error = document.getElementById(input.id + "-error");
      const value = parseValue(input.value);
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", input.id + "-help");
      let message = null;
      if (value === null || value >= Math.pow(10, Number(input.dataset.digits))) message = T.enterValue;
      else if ((value < Number(input.dataset.low) || value > Number(input.dataset.high)) && input.dataset.warned !== input.value) {
        message = T.outside;
        input.dataset.warned = input.value; // the second save of the same value goes through
      }
      if (message) {
        error.textContent = message;
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", error.id + " " + input.id + "-help");
        firstBad = firstBad || input;
      } else values[input.dataset.meter] = input.value.replace(/\s/g, "").replace(",", ".");
    }
    if (firstBad) { firstBad.focus(); return; }
    const item = { key: newKey(), kind: "reading", point: point.id, date: today(), values: values,
      invoice: form.invoice.checked, photo: await photoData(form.photo) };
    enqueue(item);
  }

  function enqueue(item) {
    const items = queue();
    items.push(item);
    save(QUEUE_KEY, items);
    showResult(item, null);
    showConnection();
    sync();
  }

  async function post(items) {
    const response = await fetch(root.dataset.syncUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ items: items }),
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return (await response.json()).results;
  }

  async function sync() {
    const items = queue();
    if (syncing || !items.length || !navigator.onLine) { showConnection(); return; }
    syncing = true;
    connection.textContent = T.sending;
    try {
      const results = await post(items);
      const done = sent();
      const byKey = Object.fromEntries(results.map((r) => [r.key, r]));
      for (const item of items) {
        const result = byKey[item.key];
        if (!result) continue;
        done[item.key] = { item: Object.assign({}, item, { photo: null }), result: result };
        showResult(item, result);
      }
      save(SENT_KEY, done);
      save(QUEUE_KEY, queue().filter((item) => !byKey[item.key]));
    } catch (e) {
      // No connection after all (or the server is down): everything stays queued for the next try.
    } finally {
      syncing = false;
      showConnection();
    }
  }

  async function refreshRoute() {
    const saved = load(ROUTE_KEY, null);
    if (saved) render(saved);
    try {
      const response = await fetch(root.dataset.routeUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const data = await response.json();
      if (saved && saved.date === data.date && queue().length) { /* keep the open forms as they are */ }
      save(ROUTE_KEY, data);
      render(data);
    } catch (e) {
      if (!saved) root.replaceChildren(el("p", { text: T.offline }));
    }
    showConnection();
  }

  // Sends everything sent before once more (same keys): used to check that a repeated sync changes nothing.
  window.ebokReader = {
    sync: sync,
    resendAll: () => post(Object.values(sent()).map((entry) => entry.item)),
  };

  window.addEventListener("online", sync);
  window.addEventListener("offline", showConnection);
  document.getElementById("sync-now").addEventListener("click", sync);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.scope }).catch(() => {});
  refreshRoute().then(sync);
})();
