/**
 * The CRM worker's building blocks: the HubSpot client, the `crm.*` activities and phone
 * normalisation. The process entry point is `main.ts` (not exported).
 */
export {
  CrmOperations,
  type CrmSettings,
  createCrmActivities,
  readCrmSettings,
  ticketMarker,
} from './crm.activities.js';
export {
  createHubspotClient,
  HUBSPOT,
  HubspotAssociationTypes,
  type HubspotClient,
  type HubspotClientOptions,
  type HubspotFilter,
  type HubspotObject,
  type HubspotOperator,
  HubspotOperators,
  type HubspotProperties,
  type HubspotSearchRequest,
  type HubspotSearchResponse,
} from './hubspot-client.js';
export {
  CrmErrorCodes,
  DEFAULT_LOOKUP_PROPERTIES,
  missingIdentifier,
  parseLookupInput,
  parseTicketInput,
  parseUpdateInput,
} from './inputs.js';
export { nationalForm, phoneDigits, phoneSearchValues, toE164 } from './phone.js';
