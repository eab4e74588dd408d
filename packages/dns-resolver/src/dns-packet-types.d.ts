/** dns-packet's type table (a file of the dns-packet package that @types/dns-packet does not declare). */
declare module 'dns-packet/types.js' {
  /** toType: 'A' -> 1, an unknown name -> 0. toString: 1 -> 'A', an unknown code -> 'UNKNOWN_<n>'. */
  const types: { toType(name: string): number; toString(code: number): string }
  export default types
}

/** dns-packet's class table. */
declare module 'dns-packet/classes.js' {
  /** toClass: 'IN' -> 1, an unknown name -> 0. toString: 1 -> 'IN', an unknown code -> 'UNKNOWN_<n>'. */
  const classes: { toClass(name: string): number; toString(code: number): string }
  export default classes
}
