/* Progressive enhancement of procedure forms: a conditional question appears in place
   when its condition holds, and disappears otherwise. The server applies the same rules
   (answers to hidden questions are dropped), and the page works without this script. */
(function () {
  "use strict";
  function answers(form, name) {
    var values = [];
    form.querySelectorAll("[name=\"" + name + "\"]").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      values.push(input.value);
    });
    return values;
  }
  function update(form) {
    // In document order: a condition reads a question placed before it, already updated.
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      var name = box.getAttribute("data-show-if");
      var expected = JSON.parse(box.getAttribute("data-show-if-values"));
      var control = form.querySelector("[name=\"" + name + "\"]");
      var controlHidden = control !== null && control.closest("[hidden]") !== null;
      box.hidden = controlHidden || !answers(form, name).some(function (value) {
        return expected.indexOf(value) !== -1;
      });
    });
  }
  document.querySelectorAll("form[data-conditions]").forEach(function (form) {
    form.classList.add("conditions-live");
    update(form);
    form.addEventListener("change", function () { update(form); });
  });
}());
