// The error hierarchy: everything shadergrad throws on purpose is a ShadergradError, and each
// message names the layer, option or argument, the value given and what is allowed.

/** Base class of every error shadergrad throws on purpose. */
export class ShadergradError extends Error {
  override name = 'ShadergradError';
}

/** An option, argument or setting outside what is allowed (type, range, length, finiteness). */
export class ConfigError extends ShadergradError {
  override name = 'ConfigError';
}

/** A model or batch needs more than the device allows (a buffer or binding over a limit). */
export class ResourceLimitError extends ShadergradError {
  override name = 'ResourceLimitError';
}
