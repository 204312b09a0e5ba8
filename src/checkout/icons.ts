// Payment-method icons Kassa serves itself (GET /assets/icons/<name>.svg), so a checkout renders with
// no internet. Plain wordmark badges drawn for Kassa, not the brands' logos. Kept as strings because
// tsc does not copy non-TS files into dist/.

const badge = (background: string, foreground: string, label: string, size = 15) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="32" viewBox="0 0 96 32" role="img" aria-label="${label}">` +
  `<rect width="96" height="32" rx="6" fill="${background}"/>` +
  `<text x="48" y="21" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="${size}" font-weight="700" fill="${foreground}">${label}</text>` +
  '</svg>';

const card =
  '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="32" viewBox="0 0 96 32" role="img" aria-label="Card">' +
  '<rect width="96" height="32" rx="6" fill="#FFFFFF" stroke="#1F2933" stroke-width="1.5"/>' +
  '<rect x="30" y="7" width="36" height="18" rx="3" fill="none" stroke="#1F2933" stroke-width="2"/>' +
  '<rect x="30" y="11" width="36" height="3" fill="#1F2933"/>' +
  '<rect x="34" y="18" width="10" height="2.5" fill="#1F2933"/>' +
  '</svg>';

/** Icon name -> SVG document. */
export const ICONS: Readonly<Record<string, string>> = {
  card,
  paypal: badge('#FFC439', '#003087', 'PayPal'),
  'google-pay': badge('#000000', '#FFFFFF', 'G Pay'),
  'apple-pay': badge('#000000', '#FFFFFF', 'Apple Pay', 14),
  klarna: badge('#FFB3C7', '#0B051D', 'Klarna'),
  ideal: badge('#CC0066', '#FFFFFF', 'iDEAL'),
  generic: badge('#E4E7EB', '#1F2933', 'Pay'),
};

export const ICON_NAMES = Object.keys(ICONS);

/** The built-in icon for a payment-method type when the configuration names none. */
export function defaultIconFor(type: string): string {
  if (type === 'PAYMENT_CARD') return 'card';
  if (type === 'PAYPAL') return 'paypal';
  if (type === 'GOOGLE_PAY') return 'google-pay';
  if (type === 'APPLE_PAY') return 'apple-pay';
  if (type.includes('KLARNA')) return 'klarna';
  if (type.endsWith('IDEAL')) return 'ideal';
  return 'generic';
}
