// Progress bar of a batch job: polls the console's JSON endpoint until the job ends.
(function () {
  var box = document.getElementById("lavoro");
  if (!box) return;
  var barra = document.getElementById("barra");
  var stato = document.getElementById("stato-lavoro");
  var elenco = document.getElementById("file-lavoro");
  var finali = ["completato", "fallito", "interrotto"];
  function mostra(s) {
    barra.style.width = s.percentuale + "%";
    barra.setAttribute("aria-valuenow", s.percentuale);
    barra.textContent = s.percentuale + "%";
    stato.dataset.stato = s.stato;
    stato.textContent = "Stato: " + s.stato + (s.messaggio ? " · " + s.messaggio : "")
      + (s.eta_secondi && s.stato === "in corso" ? " · circa " + Math.ceil(s.eta_secondi) + " s" : "");
    if (s.stato === "completato" && !elenco.children.length) {
      s.file.forEach(function (f) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.className = "btn btn-primary btn-sm mb-2";
        a.href = box.dataset.fileUrl + encodeURIComponent(f);
        a.textContent = "Scarica " + f;
        li.appendChild(a);
        elenco.appendChild(li);
      });
    }
  }
  function interroga() {
    fetch(box.dataset.statoUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) { mostra(s); if (finali.indexOf(s.stato) < 0) setTimeout(interroga, 700); })
      .catch(function () { setTimeout(interroga, 2000); });
  }
  if (finali.indexOf(stato.dataset.stato) < 0) interroga();
})();
