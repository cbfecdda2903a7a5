/** The moment an inspection is computed for: the one asked for, or now. */
export const asOfOf = (value: string | undefined): Date => (value ? new Date(value) : new Date());
