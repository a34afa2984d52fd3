// The conformance suite against the external server described by $NRP_CONFORMANCE_TARGET.
import { defineConformanceSuite } from "./suite.js";
import { externalTarget } from "./target.js";

defineConformanceSuite(externalTarget());
