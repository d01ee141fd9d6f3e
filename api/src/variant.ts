/** Which arm of the A/B experiment answers: v1 serves MODEL_NAME, v2 serves AB_MODEL_NAME with details. */
export type Variant = 'v1' | 'v2';
