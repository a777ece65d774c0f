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
      if (!document.getElementById("quale-stampare")) {
        var nota = document.createElement("div");
        nota.className = "alert alert-info"; nota.id = "quale-stampare"; nota.setAttribute("role", "note");
        nota.textContent = "Stampare il file da stampare. La copia firmata per gli atti ha lo stesso contenuto "
          + "con la firma digitale dell'Ente: va conservata, non stampata.";
        elenco.parentNode.insertBefore(nota, elenco);
      }
      s.file.forEach(function (f) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        var secondario = /\.firmato\.pdf$|\.csv$/.test(f);
        a.className = "btn btn-sm mb-2 " + (secondario ? "btn-outline-primary" : "btn-primary");
        a.href = box.dataset.fileUrl + encodeURIComponent(f);
        a.textContent = (s.descrizioni && s.descrizioni[f]) || ("Scarica " + f);
        li.appendChild(a);
        elenco.appendChild(li);
      });
      if (s.scarti && s.scarti.length && !document.getElementById("scarti")) {
        var h = document.createElement("h2");
        h.className = "h5 mt-4"; h.id = "titolo-scarti"; h.textContent = "Record non stampati";
        var t = document.createElement("table");
        t.className = "table table-sm"; t.id = "scarti"; t.setAttribute("aria-labelledby", "titolo-scarti");
        var testa = t.createTHead().insertRow();
        ["Riga", "Record", "Esito", "Motivo"].forEach(function (c) {
          var th = document.createElement("th"); th.scope = "col"; th.textContent = c; testa.appendChild(th);
        });
        var corpo = t.createTBody();
        s.scarti.forEach(function (r) {
          var riga = corpo.insertRow();
          [r.n, r.chiave, r.stato, r.motivo].forEach(function (v) { riga.insertCell().textContent = v == null ? "" : v; });
        });
        box.appendChild(h); box.appendChild(t);
      }
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
