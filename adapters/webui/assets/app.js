// ADE web UI: upload progress and live job status. No inline script is
// allowed by the page's Content-Security-Policy; everything is here.
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.getAttribute("data-csrf") || "";
  var live = document.getElementById("live");
  function say(text) { if (live) { live.textContent = text; } }

  // htmx requests carry the session's CSRF token too.
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf; }
  });

  function humanBytes(n) {
    if (n < 1024) { return n + " B"; }
    var units = ["KiB", "MiB", "GiB", "TiB"], i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
    return n.toFixed(1) + " " + units[i];
  }

  // problemText renders a problem answer ({title, detail, fields}) as a
  // sentence, never as raw JSON.
  function problemText(status, text) {
    try {
      var p = JSON.parse(text);
      var parts = [p.title || ("Error " + status)];
      if (p.detail) { parts.push(p.detail); }
      (p.fields || []).forEach(function (f) { parts.push(f.field + ": " + f.message); });
      return parts.join(" ");
    } catch (e) {
      return "The upload failed (HTTP " + status + ").";
    }
  }

  // Upload: one request per file, each with its own progress bar.
  var form = document.getElementById("upload");
  if (form) {
    var input = document.getElementById("file");
    var zone = document.getElementById("dropzone");
    var queue = document.getElementById("queue");
    var max = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var render = function () {
      queue.textContent = "";
      Array.prototype.forEach.call(input.files, function (f) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = f.name + " (" + humanBytes(f.size) + ")";
        li.appendChild(name);
        if (max && f.size > max) {
          li.className = "too-large";
          var why = document.createElement("span");
          why.className = "message";
          why.textContent = " Too large: the limit is " + humanBytes(max) + ". It will not be sent.";
          li.appendChild(why);
        }
        queue.appendChild(li);
      });
    };
    input.addEventListener("change", render);
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        render();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      if (!files.length) { say("Choose at least one file."); return; }
      var items = queue.querySelectorAll("li");
      var pending = 0, failed = 0;
      var done = function () {
        pending--;
        if (pending === 0) {
          say(failed ? failed + " file(s) failed." : "All files uploaded.");
          if (!failed) { form.setAttribute("data-done", "true"); }
        }
      };
      files.forEach(function (f, i) {
        var li = items[i];
        if (max && f.size > max) { failed++; return; }
        pending++;
        var bar = document.createElement("progress");
        bar.max = f.size || 1;
        bar.value = 0;
        bar.setAttribute("aria-label", "Upload progress of " + f.name);
        li.appendChild(bar);
        var msg = document.createElement("span");
        msg.className = "message";
        li.appendChild(msg);
        var data = new FormData();
        data.append("csrf_token", csrf);
        data.append("metadata", form.querySelector("#metadata").value);
        data.append("expires_at", form.querySelector("#expires_at").value);
        data.append("file", f, f.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.getAttribute("action"));
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-CSRF-Token", csrf);
        xhr.upload.addEventListener("progress", function (ev) {
          if (ev.lengthComputable) { bar.max = ev.total; bar.value = ev.loaded; }
        });
        xhr.addEventListener("load", function () {
          if (xhr.status === 201) {
            var doc = JSON.parse(xhr.responseText).documents[0];
            bar.value = bar.max;
            li.className = "uploaded";
            var a = document.createElement("a");
            a.href = doc.url;
            a.textContent = "Uploaded: open " + doc.filename;
            msg.appendChild(a);
          } else {
            failed++;
            li.className = "failed";
            msg.textContent = problemText(xhr.status, xhr.responseText);
          }
          done();
        });
        xhr.addEventListener("error", function () {
          failed++;
          li.className = "failed";
          msg.textContent = "The connection was lost during the upload.";
          done();
        });
        xhr.send(data);
      });
    });
  }

  // Live job status: the events of the jobs the page shows that have not
  // ended, as they are recorded; the server ends the stream ("end") once
  // they all have. A stream holds one of the browser's few connections to
  // the server (six over HTTP/1.1), so it is closed whenever the page is
  // hidden or left (a page kept in the back-forward cache would otherwise
  // keep it), and opened again, from the last event seen, when the page
  // shows.
  var watch = body.getAttribute("data-watch");
  if (watch && window.EventSource) {
    var terminal = { succeeded: true, failed: true, cancelled: true };
    var es = null, last = "", ended = false;
    var open = function () {
      if (es || ended) { return; }
      var url = watch;
      if (last) { url = url.replace(/after=[^&]*/, "after=" + encodeURIComponent(last)); }
      es = new EventSource(url);
      es.addEventListener("job", function (e) {
        last = e.lastEventId || last;
        var c = JSON.parse(e.data);
        document.querySelectorAll('[data-job-status="' + c.job_id + '"]').forEach(function (el) {
          el.textContent = c.status;
          el.className = "status status-" + c.status;
        });
        if (terminal[c.status]) {
          document.querySelectorAll('[data-cancel-for="' + c.job_id + '"]').forEach(function (el) { el.remove(); });
          if (document.querySelector('[data-reload-when-done="' + c.job_id + '"]')) {
            close();
            window.location.reload();
            return;
          }
        }
        say("Job " + c.job_id + " is " + c.status + ".");
      });
      es.addEventListener("end", function () {
        ended = true;
        close();
        body.setAttribute("data-watch-ended", "true");
      });
      es.addEventListener("signed-out", function () {
        close();
        window.location.href = "/ui/sign-in?ended=1";
      });
      body.setAttribute("data-watching", "true");
    };
    var close = function () {
      if (es) { es.close(); es = null; }
      body.removeAttribute("data-watching");
    };
    window.addEventListener("pagehide", close);
    window.addEventListener("pageshow", open);
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { close(); } else { open(); }
    });
    open();
  }
})();
