// The conformance suite against the devserver in its `rdm` (plain InvenioRDM 13) flavour.
import { defineConformanceSuite } from "./suite.js";
import { devserverTarget } from "./target.js";

defineConformanceSuite(devserverTarget("rdm"));
