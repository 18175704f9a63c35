/* Reports taken without a connection: kept on the phone, shown as waiting, sent once it is back.
 *
 * A submit while the browser is offline stores the form (photos included, as Blobs) in IndexedDB
 * under a key made here, which every send carries as the form's ``one_time_key``: the report's one
 * idempotency key (cases/forms.py ReportForm.intake_key), so an answer lost on the way and the
 * retry it causes still make one case, and two reports queued from one page stay two. (Items
 * queued by the older script carry ``client_key`` instead; the server still honours it.) The
 * service worker (/report/sw.js) keeps the page and its files for a reload without a connection. */
(function () {
  "use strict";

  const form = document.getElementById("report-form");
  const box = document.getElementById("offline-queue");
  const dataNode = document.getElementById("offline-data");
  if (!form || !box || !dataNode || !("indexedDB" in window)) return;
  const data = JSON.parse(dataNode.textContent);
  const list = box.querySelector("ul");
  const STORE = "reports";
  const KEY_AS_ONE_TIME_KEY = 2; // items' version: their key is sent as the form's one_time_key

  if ("serviceWorker" in navigator && data.serviceWorker) {
    navigator.serviceWorker.register(data.serviceWorker, { scope: "/" }).catch((error) => console.error(error));
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

  function show(items, message) {
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.dataset.key = item.key;
      li.textContent = data.text.waiting.replace("{description}", item.summary);
      list.append(li);
    }
    box.hidden = items.length === 0 && !message;
    const status = box.querySelector(".offline-status");
    status.textContent = message || "";
  }

  function refresh(message) {
    return all().then((items) => show(items, message));
  }

  function formData(item) {
    // An item without a version was queued by the older script: sent as it was then (its key as
    // client_key), so a report taken in before this script arrived is still found, not made twice.
    const current = item.version === KEY_AS_ONE_TIME_KEY;
    const body = new FormData();
    for (const [name, value, filename] of item.fields) {
      if (filename) body.append(name, value, filename);
      else if (!(current && name === "one_time_key")) body.append(name, value);
    }
    body.append(current ? "one_time_key" : "client_key", item.key);
    return body;
  }

  let sending = false;
  function sendWaiting() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return all()
      .then((items) => items.reduce((previous, item) => previous.then(() => sendOne(item)), Promise.resolve()))
      .finally(() => { sending = false; });
  }

  function sendOne(item) {
    return fetch(item.action, { method: "POST", body: formData(item), credentials: "same-origin", redirect: "follow" })
      .then((response) => {
        if (response.status >= 500 || response.status === 429) return refresh(data.text.retryLater);
        // Taken (or refused for good: a refused report would be refused again); either way it
        // leaves the queue, and the page says which.
        return remove(item.key).then(() => refresh(response.ok ? data.text.sent : data.text.refused));
      })
      .catch(() => refresh()); // still no connection: it stays waiting
  }

  form.addEventListener("submit", (event) => {
    if (navigator.onLine) return;
    event.preventDefault();
    const fields = [];
    for (const [name, value] of new FormData(form, event.submitter)) {
      if (value instanceof File) {
        if (value.size) fields.push([name, value, value.name]);
      } else {
        fields.push([name, value, ""]);
      }
    }
    const description = (form.querySelector("[name=description]") || {}).value || "";
    const item = {
      key: newKey(), version: KEY_AS_ONE_TIME_KEY, action: form.action || location.href, fields, summary: description.slice(0, 40),
    };
    put(item).then(() => refresh(data.text.queued)).catch((error) => console.error(error));
  });

  window.addEventListener("online", () => { sendWaiting(); });
  refresh().then(sendWaiting);
})();
