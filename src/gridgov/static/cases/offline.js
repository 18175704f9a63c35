/* Reports and handling steps taken without a connection: kept on the phone, shown as waiting,
 * sent once it is back.
 *
 * A submit while the browser is offline stores the form (photos included, as Blobs) in IndexedDB
 * and sends it when the connection returns, on whichever page with this script is open then.
 * The forms queued are the report form (#report-form: the report and patrol pages) and every form
 * marked data-offline-queue (the action forms of a case page, each one handling step).
 *
 * Exactly once: a report is sent with a key made here as the form's ``one_time_key`` (its one
 * idempotency key, cases/forms.py ReportForm.intake_key); a step with its form's one-time
 * ``step_key`` (services.take_action keeps it in the step's data), so an answer lost on the way
 * and the retry it causes still make one case, or one step. (Items queued by the oldest script
 * carry ``client_key`` instead; the server still honours it.) A step is sent only by the person
 * who took it (a shared phone's next user waits), and with the current page's CSRF token.
 *
 * The service worker (/report/sw.js) keeps the pages and their files for a reload without a
 * connection; a case page it serves from that copy is marked, and this script says so. */
(function () {
  "use strict";

  const box = document.getElementById("offline-queue");
  const dataNode = document.getElementById("offline-data");
  if (!box || !dataNode || !("indexedDB" in window)) return;
  const data = JSON.parse(dataNode.textContent);
  const list = box.querySelector("ul");
  // Every kind of item (the store's name is older than the steps). Renaming the store needs a
  // version upgrade of the database, and an older copy of this script (the one a case page kept on
  // the phone before an upgrade loads when opened offline) then fails to open it at version 1
  // (VersionError): its submit would be stopped with nothing queued. So the name stays.
  const STORE = "reports";
  const KEY_AS_ONE_TIME_KEY = 2; // items' version: their key is sent as the form's one_time_key
  const KEY_FIELD = 3; // items' version: they name the field their key is sent in (keyField)
  const STATUS = "gridgov-offline-status"; // a status kept over the reload after a step was sent

  if ("serviceWorker" in navigator && data.serviceWorker) {
    navigator.serviceWorker.register(data.serviceWorker, { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        // The first visit is not served by the worker yet: ask it to keep this page too.
        if (!navigator.serviceWorker.controller && registration.active) registration.active.postMessage({ keep: location.pathname });
      })
      .catch((error) => console.error(error));
  }

  const copyNote = document.querySelector("[data-page-copy]");
  if (copyNote && copyNote.dataset.pageCopy === "phone" && data.text.staleCopy) {
    const taken = new Date(copyNote.dataset.renderedAt);
    const when = isNaN(taken) ? "" : taken.toLocaleString(document.documentElement.lang || undefined);
    copyNote.textContent = data.text.staleCopy.replace("{time}", when);
    copyNote.hidden = false;
  }

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("gridgov-offline", 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function withStore(mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    }));
  }

  const all = () => withStore("readonly", (store) => store.getAll());
  const put = (item) => withStore("readwrite", (store) => store.put(item));
  const remove = (key) => withStore("readwrite", (store) => store.delete(key));

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  }

  const textOf = (item) => (item.kind === "step" ? data.text.step : data.text);

  function show(items, message, details) {
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.dataset.key = item.key;
      li.dataset.kind = item.kind || "report";
      li.textContent = textOf(item).waiting.replace("{description}", item.summary);
      list.append(li);
    }
    box.hidden = items.length === 0 && !message;
    box.querySelector(".offline-status").textContent = message || "";
    const more = box.querySelector(".offline-details");
    if (more) {
      more.textContent = details || "";
      more.hidden = !details;
    }
  }

  function refresh(message, details) {
    return all().then((items) => show(items, message, details));
  }

  function keyField(item) {
    if (item.version === KEY_FIELD) return item.keyField;
    // Older items: sent as they were then, so a report taken in before is found, not made twice.
    return item.version === KEY_AS_ONE_TIME_KEY ? "one_time_key" : "client_key";
  }

  function formData(item) {
    const field = keyField(item);
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    const body = new FormData();
    for (const [name, value, filename] of item.fields) {
      if (filename) body.append(name, value, filename);
      else if (name === "csrfmiddlewaretoken" && token) body.append(name, token.value); // the current session's
      else if (name !== field || item.version === undefined) body.append(name, value);
    }
    body.append(field, item.sendKey || item.key);
    return body;
  }

  function refusal(response) {
    // A refused step comes back as its case page, with the reason in its error line.
    return response.text().then((html) => {
      const page = new DOMParser().parseFromString(html, "text/html");
      const error = page.querySelector("[data-testid=action-error]");
      return error ? error.textContent.trim() : "";
    }).catch(() => "");
  }

  let sending = false;
  function sendWaiting() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    let reload = false;
    return all()
      .then((items) => items.reduce((previous, item) => previous.then(() => sendOne(item).then((sentHere) => {
        reload = reload || sentHere;
      })), Promise.resolve()))
      .finally(() => {
        sending = false;
        if (reload) location.reload(); // this case page shows the step it has just sent
      });
  }

  // Resolves true when a step of the case on this page was taken (the page is reloaded).
  function sendOne(item) {
    const text = textOf(item);
    if (item.kind === "step" && String(item.user) !== String(data.user)) return Promise.resolve(false); // its author's
    return fetch(item.action, { method: "POST", body: formData(item), credentials: "same-origin", redirect: "follow" })
      .then((response) => {
        if (response.status >= 500 || response.status === 429) return refresh(text.retryLater).then(() => false);
        if (response.redirected && new URL(response.url).pathname === data.loginUrl) {
          return refresh(data.text.signIn).then(() => false); // stays waiting until its author signs in again
        }
        if (response.ok) {
          return remove(item.key).then(() => {
            if (item.kind === "step" && item.page === location.pathname) {
              sessionStorage.setItem(STATUS, text.sent);
              return true;
            }
            return refresh(text.sent).then(() => false);
          });
        }
        // Refused for good (it would be refused again): it leaves the queue, and the page says why
        // and shows a step's note, so what was written is not lost.
        const reading = item.kind === "step" ? refusal(response) : Promise.resolve("");
        return reading.then((reason) => remove(item.key).then(() => {
          const message = reason ? text.refusedBecause.replace("{description}", item.summary).replace("{reason}", reason) : text.refused;
          const note = (item.fields.find(([name]) => name === "note") || [])[1] || "";
          return refresh(message, note ? `${data.text.typedNote} ${note}` : "");
        })).then(() => false);
      })
      .catch(() => refresh().then(() => false)); // still no connection: it stays waiting
  }

  function queue(form, event) {
    const fields = [];
    for (const [name, value] of new FormData(form, event.submitter)) {
      if (value instanceof File) {
        if (value.size) fields.push([name, value, value.name]);
      } else {
        fields.push([name, value, ""]);
      }
    }
    const action = form.action || location.href;
    if (form.id === "report-form") {
      const description = (form.querySelector("[name=description]") || {}).value || "";
      return {
        key: newKey(), version: KEY_AS_ONE_TIME_KEY, action, fields, summary: description.slice(0, 40),
      };
    }
    const stepKey = (form.querySelector("[name=step_key]") || {}).value || "";
    return {
      // The form's own key is the step's (the same step queued twice is still one step); the
      // item's key is new, so two steps queued from one copy of the page both stay queued.
      key: newKey(), sendKey: stepKey, version: KEY_FIELD, keyField: "step_key", kind: "step", action, fields,
      summary: form.dataset.offlineSummary || "", page: location.pathname, user: data.user,
    };
  }

  const forms = [document.getElementById("report-form"), ...document.querySelectorAll("form[data-offline-queue]")];
  for (const form of forms) {
    if (!form) continue;
    form.addEventListener("submit", (event) => {
      if (navigator.onLine) return;
      event.preventDefault();
      const item = queue(form, event);
      put(item)
        .then(() => refresh(textOf(item).queued))
        .then(() => { if (item.kind === "step") box.scrollIntoView({ block: "nearest" }); })
        .catch((error) => console.error(error));
    });
  }

  window.addEventListener("online", () => { sendWaiting(); });
  const kept = sessionStorage.getItem(STATUS);
  sessionStorage.removeItem(STATUS);
  refresh(kept || undefined).then(sendWaiting);
})();
