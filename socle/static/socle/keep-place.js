/* Progressive enhancement of the procedure editor: adding, changing, moving or deleting a
   field does not reload the page. The form is sent in the background, the page the server
   answers with (the same one a browser without this script gets) replaces the main content,
   and the field just changed is brought into view and focused. Without this script, the
   server's answer lands on the same field through its anchor. */
(function () {
  "use strict";
  function swap(html, url) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var main = next.querySelector("main");
    var current = document.querySelector("main");
    if (main === null || current === null) { return false; }
    current.replaceWith(main);
    document.title = next.title;
    history.replaceState(null, "", url);
    var place = main.querySelector("[data-keep-place-focus]") ||
      main.querySelector(".error-summary") || main.querySelector("#formulaire");
    if (place !== null) {
      if (!place.hasAttribute("tabindex")) { place.setAttribute("tabindex", "-1"); }
      place.scrollIntoView({ block: "center" });
      place.focus({ preventScroll: true });
    }
    return true;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-keep-place")) { return; }
    event.preventDefault();
    var body = new FormData(form, event.submitter || undefined);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) {
          if (!swap(html, response.url)) { window.location.assign(response.url); }
        });
      })
      .catch(function () { form.submit(); });
  });
})();
