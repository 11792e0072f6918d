// Formatting for people: money in the order's currency and dates in the browser's locale.

const moneyFormats = new Map();
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A Decimal string as money of `currency`; the exact string is formatted, never a float of it. */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return "–";
  if (!moneyFormats.has(currency)) {
    moneyFormats.set(currency, new Intl.NumberFormat(undefined, { style: "currency", currency }));
  }
  return moneyFormats.get(currency).format(amount);
}

export function dateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "–";
}

/** A JSON value of a snapshot, a change or a custom field as short text. */
export function value(json) {
  if (json === null || json === undefined) return "–";
  return typeof json === "object" ? JSON.stringify(json) : String(json);
}

/** An enum value as words: SPLIT_CAPTURED → split captured. */
export function words(enumValue) {
  return enumValue ? enumValue.toLowerCase().replaceAll("_", " ") : "–";
}

export function personName(address) {
  return address.name || [address.firstName, address.surname].filter(Boolean).join(" ") || address.company || "";
}
