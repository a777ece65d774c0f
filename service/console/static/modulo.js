// Live check of an online form (Allegato G/F): posts the form to its data-verifica URL after
// each change and shows the Italian error under each field (aria-invalid + aria-describedby).
(function () {
  var form = document.getElementById("modulo-online");
  if (!form) return;
  var riepilogo = document.getElementById("riepilogo-errori");
  var timer = null;
  function pulisci() {
    form.querySelectorAll(".errore-vivo").forEach(function (n) { n.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (n) {
      n.removeAttribute("aria-invalid"); n.classList.remove("is-invalid");
      var d = (n.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return !/-errore$/.test(x); });
      if (d.length) n.setAttribute("aria-describedby", d.join(" ")); else n.removeAttribute("aria-describedby");
    });
    form.querySelectorAll(".invalid-feedback").forEach(function (n) { n.remove(); });
  }
  function mostra(errori) {
    pulisci();
    var altri = [];
    Object.keys(errori).forEach(function (campo) {
      var el = document.getElementById(campo);
      if (!el) { altri.push(errori[campo]); return; }
      el.classList.add("is-invalid");
      el.setAttribute("aria-invalid", "true");
      var msg = document.createElement("div");
      msg.className = "invalid-feedback d-block errore-vivo";
      msg.id = campo + "-errore";
      msg.textContent = errori[campo];
      el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + msg.id).trim());
      el.parentNode.appendChild(msg);
    });
    var n = Object.keys(errori).length;
    riepilogo.innerHTML = "";
    if (n) {
      var p = document.createElement("p");
      p.className = "text-danger";
      p.id = "conteggio-errori";
      p.textContent = (n === 1 ? "1 campo da correggere" : n + " campi da correggere") + (altri.length ? ": " + altri.join(" ") : ".");
      riepilogo.appendChild(p);
    }
  }
  function verifica() {
    fetch(form.dataset.verifica, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                   headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (j) { mostra(j.errori || {}); })
      .catch(function () {});
  }
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(verifica, 250); });
})();
