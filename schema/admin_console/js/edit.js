// Editing an order: the changes are previewed with a dry run (new totals and payment delta) before they are
// saved, and both are guarded by the revision the order had when it was shown.

import { graphql } from "./api.js";
import { announce, clearErrors, h, showFailure, showUserErrors } from "./dom.js";
import * as editForm from "./edit_form.js";
import * as money from "./money.js";

const PRICE = "withVat withoutVat vat vatPercent";
const EDIT = `mutation Edit($id: ID!, $revision: Int, $input: EditOrderInput!, $dryRun: Boolean) {
  edit(orderId: $id, expectedRevision: $revision, input: $input, dryRun: $dryRun) {
    order { id revision paymentDelta currency { code } paymentMethod { name } shippingMethod { name }
      subtotal { ${PRICE} } discountTotal { ${PRICE} } priceBeforeFees { ${PRICE} } paymentFee { ${PRICE} }
      shippingFee { ${PRICE} } total { ${PRICE} } }
    userErrors { field message code }
  }
}`;

/** The edit section of `order`; `choices` are what its selects offer; `reload` renders the order again. */
export function panel(order, choices, reload) {
  const preview = h("div", { class: "preview-area", "aria-live": "polite" });
  const saveButton = h("button", { type: "button", disabled: true }, "Save changes");
  const form = h("form", { class: "edit", dataset: { section: "edit" }, "aria-labelledby": "edit-title" },
    h("h2", { id: "edit-title", tabindex: "-1" }, "Edit order"),
    order.state && !order.state.allowEdit
      ? h("p", { class: "notice" }, `The state ${order.state.name} does not allow edits; the server will refuse them.`) : null,
    h("p", { class: "muted", "data-field": "expectedRevision" }, `Editing revision ${order.revision}. Preview the changes, then save them.`),
    editForm.controls(order, choices),
    h("p", { class: "row" }, h("button", { type: "submit" }, "Preview changes"), saveButton),
    preview);
  let previewed = null;  // the input the shown preview is of: saving sends exactly that
  form.addEventListener("input", () => {
    previewed = null;
    saveButton.disabled = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = editForm.inputOf(form, order);
    const payload = await send(form, order, { input, dryRun: true }, reload);
    if (!payload) return;
    previewed = JSON.stringify(input);
    saveButton.disabled = false;
    preview.replaceChildren(previewOf(payload.order));
  });
  saveButton.addEventListener("click", async () => {
    if (previewed === null) return;
    const payload = await send(form, order, { input: JSON.parse(previewed), dryRun: false }, reload);
    if (!payload) return;
    announce(`Saved ${order.id}: revision ${payload.order.revision}.`);
    await reload("edit");
  });
  return h("section", { class: "edit-section" }, form);
}

/** Run the edit (or its dry run); the payload, or null with its errors shown in the form. */
async function send(form, order, { input, dryRun }, reload) {
  clearErrors(form);
  let payload;
  try {
    payload = (await graphql(EDIT, { id: order.id, revision: order.revision, input, dryRun })).edit;
  } catch (failure) {
    showFailure(form, failure);
    return null;
  }
  if (payload.userErrors.length === 0) return payload;
  showUserErrors(form, payload.userErrors);
  if (payload.userErrors.some((error) => error.code === "STALE_REVISION")) {
    form.append(h("p", { class: "notice", role: "alert" },
      "Someone changed this order since it was shown; your changes are not saved. ",
      h("button", { type: "button", class: "secondary", onclick: () => reload("edit") },
        "Reload the order")));
  }
  return null;
}

function previewOf(order) {
  return h("div", { class: "preview", id: "edit-preview" },
    h("h3", {}, "Preview: the order after these changes (nothing saved yet)"),
    money.totalsTable(order, "preview-totals"),
    h("p", { id: "preview-delta" }, "Payment delta: ", money.deltaText(order)));
}
