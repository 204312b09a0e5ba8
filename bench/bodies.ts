// The request bodies the benchmark sends: a realistic checkout (3 line items, customer with both
// addresses, metadata, payment-method options) and a PATCH that changes the customer's email.

export const createBody = {
  orderId: 'order-2026-000123',
  currencyCode: 'EUR',
  customerId: 'customer-8842',
  order: {
    countryCode: 'DE',
    lineItems: [
      {
        itemId: 'sku-shoe-42',
        name: 'Trail running shoe',
        description: 'Size 42, blue',
        amount: 12999,
        quantity: 1,
        taxAmount: 2075,
        productType: 'PHYSICAL',
        productData: { sku: 'TRS-42-BL', brand: 'Kassa Outdoor', color: 'blue' },
      },
      { itemId: 'sku-sock-3', name: 'Merino socks (3 pairs)', amount: 1899, quantity: 2, taxAmount: 606, productType: 'PHYSICAL' },
      { itemId: 'sku-gift-wrap', name: 'Gift wrap', amount: 350, quantity: 1, discountAmount: 350, productType: 'PHYSICAL' },
    ],
    shipping: { amount: 495, methodId: 'dhl-standard', methodName: 'DHL Standard' },
  },
  customer: {
    emailAddress: 'ada.lovelace@example.com',
    mobileNumber: '+4915112345678',
    firstName: 'Ada',
    lastName: 'Lovelace',
    billingAddress: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      addressLine1: 'Friedrichstrasse 123',
      addressLine2: '3. OG',
      city: 'Berlin',
      state: 'BE',
      countryCode: 'DE',
      postalCode: '10117',
    },
    shippingAddress: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      addressLine1: 'Friedrichstrasse 123',
      city: 'Berlin',
      countryCode: 'DE',
      postalCode: '10117',
    },
  },
  metadata: { channel: 'web', campaign: 'black-friday-2026', cartId: 'cart-5f1c2a', loyaltyPoints: 1200 },
  paymentMethod: {
    vaultOnSuccess: false,
    descriptor: 'KASSA OUTDOOR',
    orderedAllowedCardNetworks: ['VISA', 'MASTERCARD', 'AMEX'],
    options: {
      PAYMENT_CARD: { networks: { VISA: { surcharge: { amount: 0 } }, AMEX: { surcharge: { amount: 150 } } } },
      PAYPAL: { surcharge: { amount: 100 } },
    },
  },
};

export const CREATE_BODY = JSON.stringify(createBody);

/** A customer email change, one per request so every PATCH really writes. */
export const patchBody = (clientToken: string, n: number) =>
  JSON.stringify({ clientToken, customer: { emailAddress: `ada.lovelace+${n}@example.com` } });

/** What the SDK sends to tokenize a test card that authorizes. */
export const TOKENIZE_BODY = JSON.stringify({
  // A card that expires four years from the day the bench runs, whatever that day is.
  paymentInstrument: {
    number: '4111111111111111',
    cvv: '123',
    expirationMonth: '12',
    expirationYear: String(new Date().getUTCFullYear() + 4),
    cardholderName: 'Jane Doe',
  },
});

/** What the Android SDK sends to tokenize iDEAL (docs/payments.md, "Payment methods"), the default configuration's entry. */
export const REDIRECT_TOKENIZE_BODY = JSON.stringify({
  paymentInstrument: {
    type: 'OFF_SESSION_PAYMENT',
    paymentMethodType: 'ADYEN_IDEAL',
    paymentMethodConfigId: 'pmc_adyen_ideal',
    sessionInfo: { platform: 'ANDROID', locale: 'nl_NL', redirectionUrl: 'primer://requestor.com.example.shop/async' },
  },
});
