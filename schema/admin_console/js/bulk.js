// Bulk actions on the selected orders of the list: change state and capture, with each order's result shown.

import { graphql } from "./api.js";
import { announce, clearErrors, h, labelled, showFailure, stateBadge } from "./dom.js";
import { words } from "./format.js";

const RESULT_FIELDS = "ok results { orderId userErrors { field message code } order { id captureState state { id name color } } }";
const DOCUMENTS = {
  changeState: `mutation BulkChangeState($ids: [ID!]!, $stateId: ID!) {
    changeState(orderIds: $ids, stateId: $stateId) { ${RESULT_FIELDS} } }`,
  previewStateChange: `mutation BulkPreviewState($ids: [ID!]!, $stateId: ID!) {
    previewStateChange(orderIds: $ids, stateId: $stateId) { ${RESULT_FIELDS} } }`,
  capture: `mutation BulkCapture($ids: [ID!]!) { capture(orderIds: $ids) { ${RESULT_FIELDS} } }`,
};

/** The bulk panel under `table`: acts on its checked rows and updates them in place. */
export function panel(table, flows) {
  const ordersFirst = [...flows].sort((one, other) => Number(other.kind === "ORDER") - Number(one.kind === "ORDER"));
  const stateControl = h("select", { name: "bulkState", "data-field": "stateId" },
    ordersFirst.map((flow) => h("optgroup", { label: flow.name },
      flow.states.filter((state) => !state.isDeleted).map((state) => h("option", { value: state.id }, state.name)))));
  const results = h("div", { class: "bulk-results", "aria-live": "polite" });
  const form = h("form", { class: "bulk", "aria-label": "Bulk actions" },
    h("fieldset", {}, h("legend", {}, "Selected orders"),
      h("div", { class: "row" },
        labelled("Move to state", stateControl),
        h("button", { type: "button", class: "secondary", onclick: () => run("previewStateChange") }, "Check state change"),
        h("button", { type: "button", onclick: () => run("changeState") }, "Change state"),
        h("button", { type: "button", onclick: () => run("capture") }, "Capture in full")),
      results));

  async function run(mutation) {
    clearErrors(form);
    const ids = [...table.querySelectorAll("tbody input[name=selected]:checked")].map((box) => box.value);
    if (ids.length === 0) {
      showFailure(results, { code: "INVALID", message: "Select at least one order first." });
      return;
    }
    const buttons = form.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const data = await graphql(DOCUMENTS[mutation], { ids, stateId: stateControl.value });
      const payload = data[mutation];
      if (mutation !== "previewStateChange") updateRows(table, payload.results);
      results.replaceChildren(resultsTable(mutation, payload));
      announce(payload.ok ? `${words(mutation)}: every order succeeded.` : `${words(mutation)}: some orders were refused.`);
    } catch (failure) {
      results.replaceChildren();
      showFailure(results, failure);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }
  return form;
}

function resultsTable(mutation, payload) {
  const title = { changeState: "Change state", previewStateChange: "Check (nothing changed)", capture: "Capture" }[mutation];
  return h("table", { class: "results", "aria-label": `Results: ${title}` },
    h("caption", {}, `${title}: ${payload.ok ? "all succeeded" : "not all succeeded"}`),
    h("thead", {}, h("tr", {}, h("th", {}, "Order"), h("th", {}, "Result"))),
    h("tbody", {}, payload.results.map((result) => h("tr", { dataset: { resultFor: result.orderId } },
      h("td", {}, result.orderId),
      h("td", {}, result.userErrors.length === 0
        ? h("span", { class: "ok" }, "OK", result.order ? [" – ", stateBadge(result.order.state), ", ",
          words(result.order.captureState)] : null)
        : result.userErrors.map((error) => h("p", { class: "error" }, h("code", {}, error.code), error.message)))))));
}

function updateRows(table, results) {
  for (const result of results) {
    if (!result.order) continue;
    const row = table.querySelector(`tr[data-order-id="${CSS.escape(result.orderId)}"]`);
    if (!row) continue;
    row.cells[3].replaceChildren(stateBadge(result.order.state));
    row.cells[7].textContent = words(result.order.captureState);
  }
}
