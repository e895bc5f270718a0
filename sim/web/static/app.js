// clause-sim serve: the planner's page. Talks only to this server (/api/...).
"use strict";

(function () {
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const lang = document.documentElement.lang === "en" ? "en" : "fr";
  const colon = lang === "fr" ? " : " : ": ";

  function fmt(x, dec) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", {
      minimumFractionDigits: dec,
      maximumFractionDigits: dec,
    }).format(x);
  }

  function showErrors(error, key) {
    document.querySelectorAll("[data-error-for]").forEach((p) => {
      p.textContent = "";
    });
    document.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
    const general = document.getElementById("form-error");
    if (general) general.textContent = "";
    if (!error) return;
    let target = null;
    if (key) {
      document.querySelectorAll("[data-error-for]").forEach((p) => {
        const k = p.dataset.errorFor;
        if (!target && k && (key === k || key.startsWith(k + ".") || k.startsWith(key + "."))) {
          target = p;
        }
      });
    }
    if (target) {
      target.textContent = error;
      const input = document.querySelector(`[data-key="${CSS.escape(target.dataset.errorFor)}"]`)
        || document.getElementById(target.dataset.errorFor);
      if (input) {
        input.classList.add("invalid");
        const details = input.closest("details");
        if (details) details.open = true;
      }
    } else if (general) {
      general.textContent = `${T.error}${colon}${error}`;
    }
  }

  // ---------------------------------------------------------------------------------- form
  const form = document.getElementById("scenario-form");
  if (form) {
    let uploaded = null;
    let uploadedName = null;

    function request() {
      const set = {};
      form.querySelectorAll("[data-key]").forEach((el) => {
        if (el.value !== el.dataset.initial) set[el.dataset.key] = el.value;
      });
      for (const line of document.getElementById("extra-set").value.split("\n")) {
        const at = line.indexOf("=");
        if (at > 0 && line.trim() && !line.trim().startsWith("#")) {
          set[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        }
      }
      const body = { base: document.getElementById("base").value, set: set };
      if (uploaded !== null) {
        body.toml = uploaded;
        body.filename = uploadedName;
      }
      return body;
    }

    async function post(url, body) {
      const r = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      let data = null;
      try {
        data = await r.json();
      } catch (e) {
        data = { error: `HTTP ${r.status}` };
      }
      return { status: r.status, data: data };
    }

    let pending = null;
    let seq = 0;
    async function updateHours() {
      const mine = ++seq;
      const answer = await post(`/api/check?lang=${lang}`, request());
      if (mine !== seq) return; // a newer request is on its way
      const panel = document.getElementById("hours-panel");
      const data = answer.data.hours;
      if (answer.status !== 200 || !data) {
        showErrors(answer.data.message || answer.data.error, answer.data.key);
        panel.classList.add("stale");
        return false;
      }
      showErrors(null);
      panel.classList.remove("stale");
      document.getElementById("hours-total").textContent = fmt(data.total_hours, 0) + " h";
      document.getElementById("hours-fte").textContent = fmt(data.fte, 1);
      document.getElementById("hours-fte-year").textContent = fmt(data.fte_per_year, 1);
      const body = document.querySelector("#hours-years tbody");
      body.replaceChildren();
      for (const y of data.years) {
        const tr = document.createElement("tr");
        for (const [v, d] of [[y.year, -1], [y.dwellings, 0], [y.hours, 0], [y.fte, 1]]) {
          const td = document.createElement("td");
          td.textContent = d < 0 ? String(v) : fmt(v, d);
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
      return true;
    }

    function schedule() {
      clearTimeout(pending);
      pending = setTimeout(updateHours, 150);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    document.getElementById("base").addEventListener("change", (e) => {
      window.location.search = `?base=${encodeURIComponent(e.target.value)}`;
    });
    // the fields take the uploaded file's values (and sources); only later edits are changes
    function fill(data) {
      for (const g of data.groups) {
        for (const f of g.fields) {
          const el = form.querySelector(`[data-key="${CSS.escape(f.key)}"]`);
          if (!el) continue;
          el.value = f.value;
          el.dataset.initial = el.value;
          const field = el.closest(".field");
          let note = field.querySelector("small.source");
          if (f.source) {
            if (!note) {
              note = document.createElement("small");
              note.className = "source";
              el.insertAdjacentElement("afterend", note);
            }
            note.textContent = `${T.source} ${f.source}`;
          } else if (note) {
            note.remove();
          }
        }
      }
    }

    document.getElementById("upload").addEventListener("change", (e) => {
      const file = e.target.files[0];
      if (!file) return;
      file.text().then(async (text) => {
        uploaded = text;
        uploadedName = file.name;
        const answer = await post(`/api/form?lang=${lang}`, { toml: text, filename: file.name });
        if (answer.status === 200) fill(answer.data);
        schedule(); // a bad file: its error is shown by the check
      });
    });

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const reps = document.getElementById("replications").value;
      const seed = document.getElementById("seed").value;
      const diag = document.getElementById("diagnosis").checked ? "" : "&bottleneck=0";
      const q = `?replications=${encodeURIComponent(reps)}&seed=${encodeURIComponent(seed)}` +
        `&lang=${lang}${diag}`;
      const button = document.getElementById("simulate");
      clearTimeout(pending);
      if (!(await updateHours())) return; // the error is shown beside its field
      button.disabled = true;
      const { status, data } = await post("/api/runs" + q, request());
      button.disabled = false;
      if (status === 202) {
        window.location.href = `/runs/${encodeURIComponent(data.id)}`;
        return;
      }
      let key = data.key;
      if (!key && /^(replications|seed)\b/.test(data.error || "")) key = data.error.split(":")[0];
      showErrors(data.message || data.error, key);
    });

    updateHours();
  }

  // ---------------------------------------------------------------------------- past runs
  document.querySelectorAll("button.delete").forEach((b) => {
    b.addEventListener("click", async () => {
      const r = await fetch(`/api/runs/${encodeURIComponent(b.dataset.id)}`, {
        method: "DELETE",
        credentials: "same-origin",
      });
      if (r.ok) window.location.reload();
    });
  });
  const compare = document.getElementById("compare");
  if (compare) {
    compare.addEventListener("click", async () => {
      const ids = Array.from(document.querySelectorAll("input.pick:checked")).map((c) => c.value);
      const out = document.getElementById("compare-error");
      if (ids.length < 2) {
        out.textContent = T.compare_hint;
        return;
      }
      const r = await fetch(`/api/compare?lang=${lang}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ runs: ids }),
        credentials: "same-origin",
      });
      const data = await r.json();
      if (r.status === 202) window.location.href = `/runs/${encodeURIComponent(data.id)}`;
      else out.textContent = `${T.error}${colon}${data.message || data.error}`;
    });
  }

  // ----------------------------------------------------------------------------- progress
  const panel = document.getElementById("progress-panel");
  if (panel) {
    const id = panel.dataset.id;
    const bar = document.getElementById("progress-bar");
    const text = document.getElementById("progress-text");
    const state = document.getElementById("progress-status");
    async function poll() {
      const r = await fetch(`/api/runs/${encodeURIComponent(id)}`, { credentials: "same-origin" });
      if (!r.ok) return;
      const job = await r.json();
      bar.style.width = `${(100 * job.progress).toFixed(1)}%`;
      text.textContent = `${Math.round(100 * job.progress)} %`;
      state.textContent = T[job.status] || job.status;
      if (job.status === "queued" || job.status === "running") {
        setTimeout(poll, 400);
      } else {
        window.location.reload();
      }
    }
    setTimeout(poll, 300);
    document.getElementById("cancel").addEventListener("click", async () => {
      await fetch(`/api/runs/${encodeURIComponent(id)}`, {
        method: "DELETE",
        credentials: "same-origin",
      });
    });
  }
})();
