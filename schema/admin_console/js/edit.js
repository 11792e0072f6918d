// Editing an order: the changes are previewed with a dry run (new totals and payment delta) before they are
// saved, and both are guarded by the revision the order had when it was shown.

import { graphql } from "./api.js";
import { announce, clearErrors, h, labelled, showFailure, showUserErrors } from "./dom.js";
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
const DELIVERY_FIELDS = [["name", "Name"], ["address", "Address"], ["zip", "Zip"], ["city", "City"],
  ["countryCode", "Country code"], ["email", "Email"], ["phone", "Phone"]];

/** The edit section of `order`; `reload` renders the order again. */
export function panel(order, products, reload) {
  const productLines = order.lines.filter((line) => line.type === "PRODUCT");
  const orderDiscounts = order.lines.filter((line) => line.type === "DISCOUNT" && !line.parentLineId);
  const preview = h("div", { class: "preview-area", "aria-live": "polite" });
  const saveButton = h("button", { type: "button", disabled: true }, "Save changes");
  const form = h("form", { class: "edit", dataset: { section: "edit" }, "aria-labelledby": "edit-title" },
    h("h2", { id: "edit-title", tabindex: "-1" }, "Edit order"),
    order.state && !order.state.allowEdit
      ? h("p", { class: "notice" }, `The state ${order.state.name} does not allow edits; the server will refuse them.`) : null,
    h("p", { class: "muted" }, `Editing revision ${order.revision}. Preview the changes, then save them.`),
    linesTable(productLines),
    addLineFields(products),
    discountFields(orderDiscounts),
    detailsFields(order),
    h("p", { class: "row" }, h("button", { type: "submit" }, "Preview changes"), saveButton),
    preview);
  let previewed = null;  // the input the shown preview is of: saving sends exactly that
  form.addEventListener("input", () => {
    previewed = null;
    saveButton.disabled = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = inputOf(form, productLines);
    const payload = await send(form, order, input, true);
    if (!payload) return;
    previewed = JSON.stringify(input);
    saveButton.disabled = false;
    preview.replaceChildren(previewOf(payload.order));
  });
  saveButton.addEventListener("click", async () => {
    if (previewed === null) return;
    const payload = await send(form, order, JSON.parse(previewed), false);
    if (!payload) return;
    announce(`Saved ${order.id}: revision ${payload.order.revision}.`);
    await reload();
  });
  return h("section", { class: "edit-section" }, form);
}

/** Run the edit (or its dry run); the payload, or null with its errors shown in the form. */
async function send(form, order, input, dryRun) {
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
      h("button", { type: "button", class: "secondary", onclick: () => window.dispatchEvent(new HashChangeEvent("hashchange")) },
        "Reload the order")));
  }
  return null;
}

function linesTable(lines) {
  const cell = (line, name, label, attributes) => h("td", {},
    h("input", { name: `${name}-${line.id}`, "aria-label": `${label} of ${line.productName}`, ...attributes }));
  return h("table", { class: "edit-lines", "aria-label": "Lines to edit" },
    h("thead", {}, h("tr", {}, ["Product", "Quantity", "Unit price without VAT", "Discount %", "Remove"].map((title) => h("th", {}, title)))),
    h("tbody", {}, lines.map((line) => h("tr", { dataset: { lineId: line.id } },
      h("td", {}, line.productName),
      cell(line, "quantity", "Quantity", { value: line.quantity, inputmode: "decimal", size: 6 }),
      cell(line, "unitPrice", "Unit price", { placeholder: line.unitPrice.withoutVat, inputmode: "decimal", size: 8 }),
      cell(line, "discountPercent", "Discount %", { inputmode: "decimal", size: 5 }),
      h("td", {}, h("input", { type: "checkbox", name: `remove-${line.id}`, "aria-label": `Remove ${line.productName}` }))))));
}

function addLineFields(products) {
  const product = h("select", { name: "addProduct", "data-field": "addProduct" }, h("option", { value: "" }, "None"),
    products.map((item) => h("option", { value: item.id }, `${item.name} (${item.number})`)));
  return h("fieldset", {}, h("legend", {}, "Add a product"), h("div", { class: "row" },
    labelled("Product", product), labelled("Quantity", h("input", { name: "addQuantity", value: "1", inputmode: "decimal", size: 6 }))));
}

function discountFields(orderDiscounts) {
  return h("fieldset", {}, h("legend", {}, "Order discounts"),
    orderDiscounts.map((line) => h("label", { class: "inline" },
      h("input", { type: "checkbox", name: `removeDiscount-${line.id}`, "data-field": "input.removeDiscountLineIds" }),
      `Remove ${line.productName}`)),
    h("div", { class: "row" },
      labelled("New discount name", h("input", { name: "discountName", "data-field": "input.addOrderDiscounts.0.name" })),
      labelled("Amount", h("input", { name: "discountAmount", inputmode: "decimal", size: 8, "data-field": "input.addOrderDiscounts.0.amount" })),
      labelled("Percent", h("input", { name: "discountPercent", inputmode: "decimal", size: 5, "data-field": "input.addOrderDiscounts.0.percent" }))));
}

function detailsFields(order) {
  const text = (name, label, current, field) => labelled(label, h("input", { name, value: current ?? "", "data-field": field }));
  return h("fieldset", {}, h("legend", {}, "Details and delivery"),
    h("div", { class: "row" },
      text("reference", "Reference", order.reference, "input.reference"),
      labelled("Comment", h("textarea", { name: "comment", rows: 2, cols: 40, "data-field": "input.comment" }, order.comment ?? ""))),
    h("div", { class: "row" }, DELIVERY_FIELDS.map(([name, label]) =>
      text(`delivery-${name}`, `Delivery ${label.toLowerCase()}`, order.delivery[name], `input.delivery.${name}`))));
}

/** The EditOrderInput of what changed in the form; its controls get the data-field of their input path. */
export function inputOf(form, productLines) {
  const entered = (name) => form.elements[name]?.value.trim() ?? "";
  const input = {};
  const lines = [];
  for (const line of productLines) {
    const change = { lineId: line.id };
    if (entered(`quantity-${line.id}`) !== String(line.quantity)) change.quantity = entered(`quantity-${line.id}`);
    if (entered(`unitPrice-${line.id}`)) change.unitPrice = entered(`unitPrice-${line.id}`);
    if (entered(`discountPercent-${line.id}`)) change.discountPercent = entered(`discountPercent-${line.id}`);
    if (form.elements[`remove-${line.id}`].checked) change.remove = true;
    if (Object.keys(change).length === 1) continue;
    const path = `input.lines.${lines.length}`;
    for (const name of ["quantity", "unitPrice", "discountPercent"]) form.elements[`${name}-${line.id}`].dataset.field = `${path}.${name}`;
    form.elements[`remove-${line.id}`].dataset.field = path;
    lines.push(change);
  }
  if (entered("addProduct")) {
    form.elements.addProduct.dataset.field = `input.lines.${lines.length}`;
    lines.push({ productId: entered("addProduct"), quantity: entered("addQuantity") || "1" });
  }
  if (lines.length) input.lines = lines;
  if (entered("discountName")) {
    input.addOrderDiscounts = [{ name: entered("discountName"), amount: entered("discountAmount") || null,
      percent: entered("discountPercent") || null }];
  }
  const removed = [...form.querySelectorAll("input[name^=removeDiscount-]:checked")].map((box) => box.name.slice(15));
  if (removed.length) input.removeDiscountLineIds = removed;
  for (const name of ["reference", "comment"]) {
    if (entered(name) !== (form.elements[name].defaultValue ?? "").trim()) input[name] = entered(name);
  }
  const delivery = {};
  for (const [name] of DELIVERY_FIELDS) {
    const control = form.elements[`delivery-${name}`];
    if (control.value.trim() !== control.defaultValue.trim()) delivery[name] = control.value.trim();
  }
  if (Object.keys(delivery).length) input.delivery = delivery;
  return input;
}

function previewOf(order) {
  return h("div", { class: "preview", id: "edit-preview" },
    h("h3", {}, "Preview: the order after these changes (nothing saved yet)"),
    money.totalsTable(order, "preview-totals"),
    h("p", { id: "preview-delta" }, "Payment delta: ", money.deltaText(order)));
}
