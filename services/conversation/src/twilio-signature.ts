/** Twilio webhook signature verification, from the telephony worker that owns the Twilio client. */
export { verifyTwilioSignature } from '@switchboard/telephony-worker';
