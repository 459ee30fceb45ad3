declare module 'swagger-ui-dist' {
  /** Directory holding swagger-ui-bundle.js and swagger-ui.css. */
  export function getAbsoluteFSPath(): string;
}
