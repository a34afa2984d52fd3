// The conformance suite against the devserver in its `nrp` (oarepo 12) flavour.
import { defineConformanceSuite } from "./suite.js";
import { devserverTarget } from "./target.js";

defineConformanceSuite(devserverTarget("nrp"));
