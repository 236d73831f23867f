// Proof of work for forms (anemo.captcha.ProofOfWork, ALTCHA's v1 format): finds the number whose
// SHA-256 after the salt is the challenge, with Web Crypto, and puts the payload in the form. No
// inline script: load it with <script src="/static/pow.js" defer>, and every form holding a
// <div data-pow-challenge-url="..."> or an <input type="hidden" name="pow.challenge" value="JSON">
// is solved on page load. crypto.subtle exists only in secure contexts (HTTPS, or localhost).
(function () {
  "use strict";
  const BATCH = 1000; // digests per await: the page stays responsive between batches
  const encoder = new TextEncoder();

  // Lets timers and other tasks run: digest results alone would starve them (Chromium 156 ran
  // no setInterval callback at all during a 200,000-digest solve without this).
  function yieldToPage() {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      channel.port2.postMessage(null);
    });
  }

  function fromHex(text) {
    const bytes = new Uint8Array(text.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.substr(i * 2, 2), 16);
    return bytes;
  }

  function equal(buffer, target) {
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < target.length; i++) if (bytes[i] !== target[i]) return false;
    return true;
  }

  // Resolves to the base64 payload the server verifies; rejects when aborted, or when no number
  // from 0 to maxnumber solves the challenge.
  async function solve(challenge, { signal, onProgress } = {}) {
    const max = Number(challenge.maxnumber ?? challenge.maxNumber);
    if (challenge.algorithm !== "SHA-256" || !/^[0-9a-f]{64}$/.test(challenge.challenge)) {
      throw new Error("not a SHA-256 challenge");
    }
    if (!Number.isSafeInteger(max) || max < 0) throw new Error("maxnumber is not a whole number");
    const target = fromHex(challenge.challenge);
    const started = Date.now();
    for (let first = 0; first <= max; first += BATCH) {
      signal?.throwIfAborted();
      const last = Math.min(first + BATCH - 1, max);
      const digests = [];
      for (let n = first; n <= last; n++) {
        digests.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      const found = (await Promise.all(digests)).findIndex((digest) => equal(digest, target));
      if (found >= 0) {
        const solution = {
          algorithm: challenge.algorithm,
          challenge: challenge.challenge,
          number: first + found,
          salt: challenge.salt,
          signature: challenge.signature,
          took: Date.now() - started,
        };
        return btoa(JSON.stringify(solution));
      }
      onProgress?.(last + 1, max + 1);
      await yieldToPage();
    }
    throw new Error("no number up to maxnumber solves the challenge");
  }

  async function fetchChallenge(source) {
    if (source.matches("input")) return JSON.parse(source.value);
    const response = await fetch(source.dataset.powChallengeUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error("challenge: HTTP " + response.status);
    return response.json();
  }

  // Solves the form's challenge and holds its submission until the payload is in
  // <input type="hidden" name="pow.payload">. With a <button data-pow-start> in the form (shown
  // by this script: hidden, it stays out of the way without script), the work starts when it is
  // pressed, an alternative to another check; without one, at once and again on focus if it
  // failed. The status element's data-working, data-verified and data-failed give the words,
  // announced politely by screen readers.
  function attach(form) {
    const source = form.querySelector("[data-pow-challenge-url], input[name='pow.challenge']");
    if (!source || form.dataset.powState) return;
    let output = form.querySelector("input[name='pow.payload']");
    if (!output) {
      output = Object.assign(document.createElement("input"), { type: "hidden", name: "pow.payload" });
      form.append(output);
    }
    let status = form.querySelector("[data-pow-status]") || (source.matches("div") ? source : null);
    if (!status) {
      status = document.createElement("p");
      source.after(status);
    }
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const words = {
      working: status.dataset.working || "Verifying you are not a robot…",
      verified: status.dataset.verified || "Verified",
      failed: status.dataset.failed || "Verification failed. Focus the form or reload the page to try again.",
    };
    const start = form.querySelector("[data-pow-start]");
    let running = null;
    const run = () => {
      if (!running && !output.value) {
        form.dataset.powState = "working";
        status.textContent = words.working;
        if (start) start.disabled = true;
        running = fetchChallenge(source)
          .then((challenge) => solve(challenge))
          .then((payload) => {
            output.value = payload;
            form.dataset.powState = "verified";
            status.textContent = words.verified;
          })
          .catch(() => {
            running = null;
            form.dataset.powState = "failed";
            status.textContent = words.failed;
            if (start) start.disabled = false;
          });
      }
      return running || Promise.resolve();
    };
    form.addEventListener("submit", (event) => {
      if (output.value || (start && !running)) return; // solved, or the other check is used
      event.preventDefault();
      run().then(() => output.value && form.requestSubmit(event.submitter));
    });
    if (start) {
      start.hidden = false;
      start.addEventListener("click", run);
      return;
    }
    form.addEventListener("focusin", run);
    run();
  }

  function attachAll() {
    document.querySelectorAll("form").forEach(attach);
  }

  window.anemoPow = { solve, attach };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attachAll);
  else attachAll();
})();
