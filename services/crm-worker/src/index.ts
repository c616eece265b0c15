/**
 * The CRM worker's building blocks: the HubSpot client, the `crm.*` activities and phone
 * normalisation. The process entry point is `main.ts` (not exported).
 */
export {
  CrmErrorCodes,
  CrmOperations,
  type CrmSettings,
  createCrmActivities,
  missingIdentifier,
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
export { nationalForm, phoneDigits, phoneSearchValues, toE164 } from './phone.js';
