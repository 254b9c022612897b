export { cellDraw, roundBase3 } from "./rounding.js";
export { suppress, type Constraint, type SuppressionReason, type SuppressionResult } from "./suppression.js";
export { protectCount, protectTable, type ControlRules, type CountTable, type ProtectedTable, type PublishedCount, type TableOptions } from "./table.js";
export { protectAmount, protectChange, roundToBase, type PublishedChange } from "./magnitude.js";
