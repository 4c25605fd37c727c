/* The phone simulator: plays a caller (and the agent who answers) against the desk.
   Each step goes to the simulator's endpoint, which posts it to the desk's own carrier webhook,
   signed as a carrier signs it, and returns the TwiML the desk answered; this page then does
   what a carrier would: says the <Say> texts, listens for keys after a <Gather>, rings the
   <Dial> numbers, records after a <Record>, and reports the call's end. */
(function () {
  "use strict";
  var root = document.getElementById("phone-simulator");
  if (!root) return;
  var t = root.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("phone-dial"), live = $("phone-live"), log = $("phone-log"), status = $("phone-status");
  var keypad = $("phone-keypad"), wait = $("phone-wait"), agents = $("phone-agents"), legs = $("phone-legs");
  var voicemail = $("phone-voicemail"), error = $("phone-error"), caseBox = $("phone-case");
  var call = null;
  var chain = Promise.resolve();

  function fresh() {
    return {sid: "", started: 0, gather: null, keys: "", redirect: "", dial: "", answered: 0, record: null, over: false};
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function say(who, text, cls) {
    var item = document.createElement("li");
    item.className = cls || "";
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    item.appendChild(label);
    item.appendChild(document.createTextNode(" " + text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function speak(text, language) {
    if (!$("phone-speak").checked || !("speechSynthesis" in window)) return;
    var utterance = new SpeechSynthesisUtterance(text);
    if (language) utterance.lang = language;
    window.speechSynthesis.speak(utterance);
  }

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* One step, after the previous one: the carrier never sends two at once for a call. */
  function step(kind, fields, callback) {
    var body = {kind: kind, fields: fields || {}};
    if (call && call.sid) body.call = call.sid;
    if (callback) body.callback = callback;
    chain = chain.then(function () {
      return fetch(t.stepUrl, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf()}
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.error || response.statusText);
          return data;
        });
      }).then(function (data) {
        error.textContent = "";
        if (call && !call.sid) call.sid = data.call;
        showCase(data.case);
        return read(data.twiml);
      });
    }).catch(function (err) { error.textContent = err.message; });
    return chain;
  }

  function showCase(found) {
    if (!found) return;
    caseBox.textContent = t.case + " ";
    var link = document.createElement("a");
    link.href = found.url;
    link.id = "phone-case-link";
    link.textContent = found.label;
    caseBox.appendChild(link);
  }

  /* What the desk answered, verb by verb, as a carrier plays it. */
  function read(twiml) {
    var doc = new DOMParser().parseFromString(twiml, "text/xml");
    var response = doc.documentElement;
    if (!call || !response || response.nodeName !== "Response") return;
    call.gather = null; call.redirect = ""; call.record = null; call.keys = "";
    if (!call.answered) call.dial = "";
    var hangup = false;
    Array.prototype.forEach.call(response.children, function (verb) {
      if (verb.nodeName === "Say" || verb.nodeName === "Play") {
        announce(verb);
      } else if (verb.nodeName === "Gather") {
        Array.prototype.forEach.call(verb.children, announce);
        call.gather = {
          action: verb.getAttribute("action"),
          digits: parseInt(verb.getAttribute("numDigits") || "0", 10),
          finish: verb.getAttribute("finishOnKey") || "#"
        };
      } else if (verb.nodeName === "Redirect") {
        call.redirect = verb.textContent.trim();
      } else if (verb.nodeName === "Dial") {
        ring(verb);
      } else if (verb.nodeName === "Record") {
        call.record = {action: verb.getAttribute("action"), transcribed: verb.getAttribute("transcribeCallback")};
        say(t.desk, t.recording, "system");
      } else if (verb.nodeName === "Hangup") {
        hangup = true;
      }
    });
    update();
    /* After this step has settled: the end is a step of its own, queued behind this one. */
    if (hangup) setTimeout(function () { end(t.hung); }, 0);
  }

  function announce(verb) {
    if (verb.nodeName === "Play") return say(t.desk, t.prompt, "system");
    if (verb.nodeName !== "Say") return;
    var text = verb.textContent.trim();
    say(t.desk, text, "desk");
    speak(text, verb.getAttribute("language"));
  }

  function ring(dial) {
    var numbers = dial.querySelectorAll("Number");
    legs.textContent = "";
    if (!numbers.length) {  /* forwarded to another line: the carrier places that call */
      say(t.desk, fill(t.forwarded, {number: dial.textContent.trim()}), "system");
      return;
    }
    call.dial = dial.getAttribute("action");
    say(t.desk, t.ringing, "system");
    Array.prototype.forEach.call(numbers, function (number) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = fill(t.answer, {number: number.textContent.trim()});
      button.addEventListener("click", function () { answer(number); });
      legs.appendChild(button);
    });
  }

  function update() {
    var on = Boolean(call && !call.over);
    live.hidden = !on && !log.children.length;
    status.textContent = on ? (call.sid ? t.incall : t.calling) : t.ended;
    keypad.classList.toggle("listening", Boolean(on && call.gather));
    wait.hidden = !(on && call.redirect && call.gather);
    agents.hidden = !(on && call.dial && !call.answered);
    voicemail.hidden = !(on && call.record);
    $("phone-hangup").disabled = !on;
    $("phone-call").disabled = on;
  }

  function seconds(since) { return String(Math.max(1, Math.round((Date.now() - since) / 1000))); }

  function answer(number) {
    call.answered = Date.now();
    update();
    step("leg", {CallStatus: "in-progress", Called: number.textContent.trim()},
         number.getAttribute("statusCallback"))
      .then(function () { say(t.you, t.connected, "system"); });
  }

  /* The call is over, however it ended: the carrier reports it once. */
  function end(message) {
    if (!call || call.over) return;
    var ending = call;
    ending.over = true;
    if (ending.answered && ending.dial) {
      step("dial", {DialCallStatus: "completed", DialCallDuration: seconds(ending.answered)}, ending.dial);
    }
    step("status", {CallStatus: "completed", CallDuration: seconds(ending.started)});
    return chain.then(function () {
      say(t.desk, message || t.ended, "system");
      if ("speechSynthesis" in window) window.speechSynthesis.cancel();
      update();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    log.textContent = "";
    legs.textContent = "";
    call = fresh();
    call.started = Date.now();
    update();
    step("incoming", {From: $("phone-from").value.trim(), To: $("phone-to").value}).then(function () {
      if (call && !call.sid) { call = null; update(); }  /* refused: nothing to hang up */
    });
  });

  function callAs() {
    var contact = $("phone-contact").value;
    if (contact) $("phone-from").value = contact;
  }
  $("phone-contact").addEventListener("change", callAs);
  callAs();  /* a contact picked before this script ran counts too */

  keypad.addEventListener("click", function (event) {
    var key = event.target.getAttribute("data-key");
    if (!key || !call || call.over || !call.gather) return;
    var gather = call.gather;
    if (key !== gather.finish) call.keys += key;
    if (key === gather.finish || (gather.digits && call.keys.length >= gather.digits)) {
      say(t.you, fill(t.pressed, {keys: call.keys}), "you");
      step("gather", {Digits: call.keys}, gather.action);
      call.gather = null;
    }
  });

  wait.addEventListener("click", function () {
    if (!call || !call.redirect) return;
    say(t.you, t.nothing, "you");
    step("gather", {}, call.redirect);
  });

  $("phone-noanswer").addEventListener("click", function () {
    if (!call || !call.dial) return;
    step("dial", {DialCallStatus: "no-answer", DialCallDuration: "0"}, call.dial);
  });

  voicemail.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("phone-message").value.trim();
    var record = call && call.record;
    if (!text || !record) return;
    say(t.you, text, "you");
    var length = String(Math.max(1, Math.round(text.split(/\s+/).length / 2.5)));
    /* The desk answers the recording with its thanks and hangs up; the transcription comes
       after, as carriers send it, then the call's end (once, from the hang-up). */
    var ending = call;
    ending.over = true;  /* held until the transcription is in */
    step("recording", {RecordingSid: "RE" + ending.sid.slice(2), RecordingDuration: length},
         record.action);
    step("transcription", {TranscriptionText: text, TranscriptionStatus: "completed"}, record.transcribed);
    chain.then(function () { ending.over = false; return end(); });
    $("phone-message").value = "";
  });

  $("phone-hangup").addEventListener("click", function () { end(); });
})();
