// The controls of the edit form, and the EditOrderInput of what was changed in them. Each control that goes
// into the input gets the data-field of its path there, so a userError is shown beside it.

import { h, labelled } from "./dom.js";

const ADDRESS_FIELDS = [["name", "name"], ["company", "company"], ["address", "address"], ["zip", "zip"],
  ["city", "city"], ["countryCode", "country code"], ["email", "email"], ["phone", "phone"]];

/** The form's fieldsets for `order`, given the products, methods and ORDER custom fields to choose from. */
export function controls(order, choices) {
  const productLines = order.lines.filter((line) => line.type === "PRODUCT");
  const orderDiscounts = order.lines.filter((line) => line.type === "DISCOUNT" && !line.parentLineId);
  return [linesTable(productLines), addLineFields(choices.products), discountFields(orderDiscounts),
    detailsFields(order, choices), addressFields("customer", "Customer", order.customer),
    addressFields("delivery", "Delivery", order.delivery), customFieldControls(order, choices.customFieldDefinitions)];
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
  const product = h("select", { name: "addProduct" }, h("option", { value: "" }, "None"),
    products.map((item) => h("option", { value: item.id }, `${item.name} (${item.number})`)));
  return h("fieldset", {}, h("legend", {}, "Add a product"), h("div", { class: "row" },
    labelled("Product", product), labelled("Quantity", h("input", { name: "addQuantity", value: "1", inputmode: "decimal", size: 6 }))));
}

function discountFields(orderDiscounts) {
  const path = "input.addOrderDiscounts.0";
  return h("fieldset", {}, h("legend", {}, "Order discounts"),
    orderDiscounts.map((line) => h("label", { class: "inline" },
      h("input", { type: "checkbox", name: `removeDiscount-${line.id}`, value: line.id, "data-field": "input.removeDiscountLineIds" }),
      `Remove ${line.productName}`)),
    h("div", { class: "row" },
      labelled("New discount name", h("input", { name: "discountName", "data-field": `${path}.name` })),
      labelled("Amount", h("input", { name: "discountAmount", inputmode: "decimal", size: 8, "data-field": `${path}.amount` })),
      labelled("Percent", h("input", { name: "discountPercent", inputmode: "decimal", size: 5, "data-field": `${path}.percent` }))));
}

function methodSelect(name, label, methods, current) {
  return labelled(label, h("select", { name, "data-field": `input.${name}` },
    h("option", { value: "", selected: !current }, "None"),
    methods.map((method) => h("option", { value: method.id, selected: method.id === current?.id }, method.name))));
}

function detailsFields(order, choices) {
  return h("fieldset", {}, h("legend", {}, "Details"),
    h("div", { class: "row" },
      labelled("Reference", h("input", { name: "reference", value: order.reference ?? "", "data-field": "input.reference" })),
      labelled("Comment", h("textarea", { name: "comment", rows: 2, cols: 40, "data-field": "input.comment" }, order.comment ?? "")),
      methodSelect("paymentMethodId", "Payment method", choices.paymentMethods, order.paymentMethod),
      methodSelect("shippingMethodId", "Shipping method", choices.shippingMethods, order.shippingMethod)));
}

function addressFields(prefix, title, address) {
  return h("fieldset", {}, h("legend", {}, title), h("div", { class: "row" }, ADDRESS_FIELDS.map(([name, label]) =>
    labelled(`${title} ${label}`, h("input", { name: `${prefix}-${name}`, value: address[name] ?? "",
      "data-field": `input.${prefix}.${name}`, size: name === "zip" || name === "countryCode" ? 8 : 18 })))));
}

function customFieldControls(order, definitions) {
  if (definitions.length === 0) return null;
  const current = Object.fromEntries(order.customFields.map((field) => [field.systemName, field.value]));
  return h("fieldset", {}, h("legend", {}, "Custom fields"), h("div", { class: "row" }, definitions.map((definition) => {
    const shown = current[definition.systemName];
    const name = `custom-${definition.systemName}`;
    const label = `${definition.name}${definition.required ? " (required)" : ""}`;
    if (definition.type === "BOOLEAN" || definition.type === "LIST") {
      const options = definition.type === "BOOLEAN" ? [["true", "Yes"], ["false", "No"]] : definition.options.map((option) => [option, option]);
      return labelled(label, h("select", { name, dataset: { type: definition.type } }, h("option", { value: "" }, "Not set"),
        options.map(([optionValue, text]) => h("option", { value: optionValue, selected: String(shown) === optionValue }, text))));
    }
    const type = { INTEGER: "number", DATE: "date" }[definition.type] ?? "text";
    return labelled(label, h("input", { name, type, value: shown ?? "", dataset: { type: definition.type } }));
  })));
}

/** Whether the user changed `control` from what it showed first. */
function isChanged(control) {
  if (control.tagName !== "SELECT") return control.value.trim() !== control.defaultValue.trim();
  const first = Math.max(0, [...control.options].findIndex((option) => option.defaultSelected));
  return control.selectedIndex !== first;
}

/** The EditOrderInput of what changed in `form`. */
export function inputOf(form, order) {
  const entered = (name) => form.elements[name]?.value.trim() ?? "";
  const input = {};
  const lines = lineChanges(form, order, entered);
  if (lines.length) input.lines = lines;
  if (entered("discountName")) {
    input.addOrderDiscounts = [{ name: entered("discountName"), amount: entered("discountAmount") || null,
      percent: entered("discountPercent") || null }];
  }
  const removed = [...form.querySelectorAll("input[name^=removeDiscount-]:checked")].map((box) => box.value);
  if (removed.length) input.removeDiscountLineIds = removed;
  for (const name of ["reference", "comment", "paymentMethodId", "shippingMethodId"]) {
    if (isChanged(form.elements[name]) && entered(name)) input[name] = entered(name);
  }
  for (const prefix of ["customer", "delivery"]) {
    const address = {};
    for (const [name] of ADDRESS_FIELDS) {
      if (isChanged(form.elements[`${prefix}-${name}`])) address[name] = entered(`${prefix}-${name}`);
    }
    if (Object.keys(address).length) input[prefix] = address;
  }
  const customFields = customFieldChanges(form);
  if (customFields.length) input.customFields = customFields;
  return input;
}

function lineChanges(form, order, entered) {
  const lines = [];
  for (const line of order.lines.filter((each) => each.type === "PRODUCT")) {
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
  return lines;
}

function customFieldChanges(form) {
  const changes = [];
  for (const control of form.querySelectorAll("[name^=custom-]")) {
    if (!isChanged(control)) continue;
    const systemName = control.name.slice(7);
    const text = control.value.trim();
    let fieldValue = text === "" ? null : text;
    if (fieldValue !== null && control.dataset.type === "BOOLEAN") fieldValue = text === "true";
    if (fieldValue !== null && control.dataset.type === "INTEGER") fieldValue = Number(text);
    control.dataset.field = `input.customFields.${changes.length}`;
    changes.push({ systemName, value: fieldValue });
  }
  return changes;
}
