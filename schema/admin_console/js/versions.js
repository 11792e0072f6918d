// The version history of an order, and a side-by-side compare of any two versions (or a version and now).

import { graphql } from "./api.js";
import { clearErrors, h, labelled, showFailure } from "./dom.js";
import { dateTime, value, words } from "./format.js";

const COMPARE = `query Compare($id: ID!, $from: Int!, $to: Int) {
  order(id: $id) { id compare(from: $from, to: $to) { from to changes { path change before after } } }
}`;

/** The versions section of `order`. */
export function panel(order) {
  const section = h("section", { class: "versions", dataset: { section: "versions" }, "aria-labelledby": "versions-title" },
    h("h2", { id: "versions-title", tabindex: "-1" }, "Versions"));
  if (order.versions.length === 0) {
    section.append(h("p", { class: "muted" }, "No versions yet: a version is kept before every edit."));
    return section;
  }
  section.append(h("table", { class: "version-list", "aria-label": "Versions" },
    h("thead", {}, h("tr", {}, ["Version", "Taken", "Edit by", "Summary"].map((title) => h("th", {}, title)))),
    h("tbody", {}, order.versions.map((version) => h("tr", {},
      h("td", {}, String(version.number)), h("td", {}, dateTime(version.createdAt)),
      h("td", {}, version.actor ?? "–"), h("td", {}, version.summary ?? ""))))));
  const choices = (name, label, withCurrent, selected) => labelled(label, h("select", { name, "data-field": name },
    order.versions.map((version) => h("option", { value: String(version.number), selected: version.number === selected },
      `Version ${version.number}`)),
    withCurrent ? h("option", { value: "", selected: selected === null }, `Now (revision ${order.revision})`) : null));
  const result = h("div", { class: "compare-result", "aria-live": "polite" });
  const form = h("form", { class: "row", "aria-label": "Compare versions" },
    choices("from", "Compare", false, order.versions[0].number), choices("to", "with", true, null),
    h("button", { type: "submit" }, "Compare"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(section);
    const to = form.elements.to.value;
    try {
      const data = await graphql(COMPARE, { id: order.id, from: Number(form.elements.from.value), to: to ? Number(to) : null });
      result.replaceChildren(comparison(data.order.compare, order.revision));
    } catch (failure) {
      result.replaceChildren();
      showFailure(section, failure);
    }
  });
  section.append(form, result);
  return section;
}

function comparison(compared, revision) {
  const fromTitle = `Version ${compared.from}`;
  const toTitle = compared.to === null ? `Now (revision ${revision})` : `Version ${compared.to}`;
  if (compared.changes.length === 0) return h("p", {}, `${fromTitle} and ${toTitle} are the same.`);
  return h("table", { class: "compare", "aria-label": `${fromTitle} compared with ${toTitle}` },
    h("caption", {}, `${fromTitle} ⟷ ${toTitle}: ${compared.changes.length} differences`),
    h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Change"), h("th", {}, fromTitle), h("th", {}, toTitle))),
    h("tbody", {}, compared.changes.map((change) => h("tr", {},
      h("td", {}, h("code", {}, change.path)), h("td", {}, words(change.change)),
      h("td", { class: "before" }, value(change.before)), h("td", { class: "after" }, value(change.after))))));
}
