// Same settings as opentelemetry-js.
export default {
  singleQuote: true,
  printWidth: 80,
  trailingComma: 'es5',
  arrowParens: 'avoid',
};
