import { expressionInterpreter } from "vega-interpreter";
globalThis.vegaExpressionInterpreter = expressionInterpreter;
