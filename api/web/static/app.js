// Footnote's web page: dates in the reader's locale, answers added to the conversation without a
// page load, the quoted span brought into view, and job progress. Every page works without it.
"use strict";

function localDates(root) {
  for (const el of root.querySelectorAll("time[data-local-date]")) {
    const value = el.getAttribute("datetime");
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const when = new Date(dateOnly ? value + "T00:00:00Z" : value);
    if (Number.isNaN(when.getTime())) continue;
    // A bare date names a day, not an instant: show that day wherever the reader is.
    const options = dateOnly ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium", timeStyle: "short" };
    el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    el.title = value;
  }
}

function fromHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // the server's own escaped markup; scripts in it never run
  return template.content.firstElementChild;
}

function enhanceAsk(form) {
  const box = form.querySelector("#question");
  const status = document.getElementById("ask-status");
  const conversation = document.getElementById("conversation");
  const button = form.querySelector("button[type=submit]");
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    form.querySelector(".problem")?.remove();
    button.disabled = true;
    status.textContent = "Looking through the articles…";
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)),
        headers: { "X-Footnote-Fragment": "turn" }, credentials: "same-origin",
      });
      if (response.redirected) { window.location.assign(response.url); return; }
      const node = fromHtml(await response.text());
      if (!response.ok || !node || !node.matches("article.turn")) {
        const problem = node && node.matches(".problem") ? node : fromHtml('<p class="problem" role="alert"></p>');
        if (!problem.textContent) problem.textContent = `The server answered ${response.status}; try again.`;
        status.textContent = "";
        status.after(problem);
        return;
      }
      conversation.append(node);
      localDates(node);
      form.querySelector("#history").value = node.dataset.history;
      form.querySelector("label[for=question]").textContent = "Follow-up question";
      if (!form.querySelector(".new-conversation")) {
        const link = fromHtml('<a class="new-conversation" href="/">New conversation</a>');
        button.after(" ", link);
      }
      box.value = "";
      status.textContent = "Answer ready.";
      node.querySelector("h2").focus();
    } catch (error) {
      status.textContent = "Could not reach the server; check the connection and try again.";
    } finally {
      button.disabled = false;
    }
  });
}

function showQuote() {
  const marks = document.querySelectorAll(".article-text mark");
  if (!marks.length) return;
  const named = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
  const target = (named && named.closest("mark")) || marks[0];
  target.classList.add("current");
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

function followJob(box) {
  if (box.dataset.finished === "yes") return;
  const url = `/jobs/${encodeURIComponent(box.dataset.job)}?part=status`;
  // About once a second: well inside the server's rate limit, which these requests count against.
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) {
        const wait = Number(response.headers.get("Retry-After")) || 5;
        setTimeout(tick, wait * 1000);
        return;
      }
      const html = await response.text();
      if (html !== box.innerHTML) { box.innerHTML = html; localDates(box); }
      const state = box.querySelector("[data-status]")?.dataset.status;
      if (state === "queued" || state === "running") setTimeout(tick, 1000);
      else box.dataset.finished = "yes";
    } catch (error) {
      setTimeout(tick, 3000);
    }
  };
  setTimeout(tick, 300);
}

document.addEventListener("DOMContentLoaded", () => {
  localDates(document);
  const form = document.getElementById("ask-form");
  if (form) enhanceAsk(form);
  showQuote();
  const job = document.getElementById("job-status");
  if (job) followJob(job);
});
