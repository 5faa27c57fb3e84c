/** Bounds on input sizes: a hook must not be made to chew on unbounded input. */
export const MAX_DEVICES = 1024;
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
export const MAX_ANNOTATION_BYTES = 256 * 1024;
export const MAX_ADDRESSES_PER_DEVICE = 256;
export const MAX_ROUTES_PER_DEVICE = 1024;
/** Kernel GSO_MAX_SIZE (8 * 65536) and GRO_MAX_SIZE (8 * 65535). */
export const GSO_MAX = 524288;
export const GRO_MAX = 524280;
export const MTU_MIN = 68;
export const MTU_MAX = 65535;
