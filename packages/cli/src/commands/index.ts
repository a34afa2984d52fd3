import type { CommandDefinition } from "../define.js";
import addAlias from "./alias/add.js";
import listAliases from "./alias/list.js";
import removeAlias from "./alias/remove.js";
import selectAlias from "./alias/select.js";
import deleteFile from "./file/delete.js";
import downloadFile from "./file/download.js";
import listFiles from "./file/list.js";
import replaceFile from "./file/replace.js";
import updateFile from "./file/update.js";
import uploadFile from "./file/upload.js";
import uploadFiles from "./file/upload-many.js";
import { acceptRequest, cancelRequest, declineRequest, submitRequest } from "./request/actions.js";
import commentRequest from "./request/comment.js";
import createRequest from "./request/create.js";
import getRequest from "./request/get.js";
import listRequests from "./request/list.js";
import timelineRequest from "./request/timeline.js";
import updateRequest from "./request/update.js";
import describeModels from "./models/describe.js";
import describeRepository from "./repository/describe.js";
import createRecord from "./record/create.js";
import deleteRecord from "./record/delete.js";
import editRecord from "./record/edit.js";
import getRecord from "./record/get.js";
import publishRecord from "./record/publish.js";
import scanRecords from "./record/scan.js";
import { listRecords, searchRecords } from "./record/search.js";
import updateRecord from "./record/update.js";
import versionRecord from "./record/version.js";
import getVariable from "./variable/get.js";
import listVariables from "./variable/list.js";
import removeVariable from "./variable/remove.js";
import setVariable from "./variable/set.js";

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandDefinition<unknown>[] = [
  addAlias,
  selectAlias,
  removeAlias,
  listAliases,
  describeRepository,
  describeModels,
  getRecord,
  createRecord,
  updateRecord,
  deleteRecord,
  publishRecord,
  editRecord,
  versionRecord,
  searchRecords,
  listRecords,
  scanRecords,
  listFiles,
  uploadFile,
  uploadFiles,
  downloadFile,
  updateFile,
  replaceFile,
  deleteFile,
  listRequests,
  createRequest,
  getRequest,
  updateRequest,
  submitRequest,
  cancelRequest,
  acceptRequest,
  declineRequest,
  commentRequest,
  timelineRequest,
  setVariable,
  getVariable,
  listVariables,
  removeVariable,
];
