// The console's only script: passkey signing of decisions, passkey registration, upload limits.
// Served from /static (the Content-Security-Policy allows no inline script).
"use strict";

const csrf = () => document.querySelector('meta[name="csrf"]').content;

function toB64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(value) {
  const text = atob(value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function showError(form, message) {
  const slot = form.querySelector(".form-error") || document.getElementById("passkey-error");
  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
  } else {
    alert(message);
  }
}

async function answer(response) {
  let body = {};
  try {
    body = await response.json();
  } catch (e) {
    body = { message: response.statusText };
  }
  if (!response.ok) throw new Error(body.message || response.statusText);
  return body;
}

// A decision that judges a person: the server builds the command and its challenge (the digest of
// what is signed), the passkey signs it, the server sends it with the signature to the workflow.
async function signAndSend(form) {
  const prepared = await answer(await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" }));
  const options = prepared.publicKey;
  options.challenge = fromB64url(options.challenge);
  options.allowCredentials = (options.allowCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
  const credential = await navigator.credentials.get({ publicKey: options });
  const sent = await answer(
    await fetch(form.dataset.send, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({
        request_id: prepared.request_id,
        command: prepared.command,
        assertion: {
          credential_id: toB64url(credential.rawId),
          authenticator_data: toB64url(credential.response.authenticatorData),
          client_data: toB64url(credential.response.clientDataJSON),
          signature: toB64url(credential.response.signature),
        },
      }),
    }),
  );
  window.location.assign(sent.redirect);
}

async function registerPasskey(button) {
  const prepared = await answer(
    await fetch("/account/passkeys/options", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } }),
  );
  const options = prepared.publicKey;
  const challenge = options.challenge;
  options.challenge = fromB64url(options.challenge);
  options.user.id = fromB64url(options.user.id);
  options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
  const credential = await navigator.credentials.create({ publicKey: options });
  const response = credential.response;
  await answer(
    await fetch("/account/passkeys", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({
        challenge: challenge,
        credential_id: toB64url(credential.rawId),
        client_data_json: toB64url(response.clientDataJSON),
        attestation_object: toB64url(response.attestationObject),
        public_key_spki: toB64url(response.getPublicKey()),
        cose_alg: response.getPublicKeyAlgorithm(),
      }),
    }),
  );
  window.location.assign("/account?ok=passkey");
}

// The plan form: another measure row (m-<n>-…), a copy of the last one emptied; the server reads up to data-max.
function addMeasureRow(button) {
  const rows = document.querySelectorAll("#measure-rows > fieldset.measure-row");
  const last = rows[rows.length - 1];
  const n = Number(last.dataset.n) + 1;
  const row = last.cloneNode(true);
  row.dataset.n = String(n);
  for (const field of row.querySelectorAll("[name]")) {
    field.name = field.name.replace(/^m-\d+-/, `m-${n}-`);
    if (field.type === "checkbox") field.checked = false;
    else field.value = "";
  }
  const legend = row.querySelector("legend");
  legend.textContent = legend.textContent.replace(/\d+\s*$/, String(n));
  last.after(row);
  row.querySelector("input").focus();
  if (n >= Number(button.dataset.max)) button.hidden = true;
}

function checkFiles(input) {
  const maxBytes = Number(input.dataset.maxMb) * 1024 * 1024;
  const maxFiles = Number(input.dataset.maxFiles);
  const zh = document.documentElement.lang.startsWith("zh");
  if (input.files.length > maxFiles) {
    return zh ? `一次最多上传 ${maxFiles} 个文件` : `at most ${maxFiles} files at once`;
  }
  for (const file of input.files) {
    if (file.size > maxBytes) {
      return zh ? `文件 ${file.name} 超过 ${input.dataset.maxMb} MB 上限` : `file ${file.name} is over the ${input.dataset.maxMb} MB limit`;
    }
  }
  return "";
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-signed]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      signAndSend(form)
        .catch((error) => showError(form, error.message || String(error)))
        .finally(() => {
          button.disabled = false;
        });
    });
  }
  const register = document.getElementById("register-passkey");
  if (register) {
    register.addEventListener("click", () => {
      register.disabled = true;
      registerPasskey(register)
        .catch((error) => showError(register.closest("section"), error.message || String(error)))
        .finally(() => {
          register.disabled = false;
        });
    });
  }
  const add = document.getElementById("add-measure");
  if (add) {
    const rows = document.querySelectorAll("#measure-rows > fieldset.measure-row");
    add.hidden = rows.length >= Number(add.dataset.max);
    add.addEventListener("click", () => addMeasureRow(add));
  }
  for (const input of document.querySelectorAll("input[type=file][data-max-mb]")) {
    const form = input.form;
    input.addEventListener("change", () => {
      const problem = checkFiles(input);
      input.setCustomValidity(problem);
      if (problem) showError(form, problem);
    });
  }
});
