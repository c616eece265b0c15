/**
 * Cal.com v2's error envelope. The API's exception filter answers every error as
 * `{status: "error", timestamp, path, error: {code, message, details}}` where `code` is the
 * NestJS exception class name, `message` its message and `details` the exception's response
 * (`{message, error, statusCode}`; for validation failures `message` is the list of problems).
 */

/** Exception class names by status, as Cal.com's NestJS server names them. */
export const ExceptionNames: Readonly<Record<number, string>> = {
  400: 'BadRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'NotFoundException',
  405: 'MethodNotAllowedException',
  409: 'ConflictException',
  413: 'PayloadTooLargeException',
  422: 'UnprocessableEntityException',
  429: 'ThrottlerException',
  500: 'InternalServerErrorException',
  502: 'BadGatewayException',
  503: 'ServiceUnavailableException',
  504: 'GatewayTimeoutException',
};

const ReasonPhrases: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The body of a Cal.com error answer. */
export interface CalcomErrorBody {
  status: 'error';
  timestamp: string;
  path: string;
  error: { code: string; message: string; details: unknown };
}

/** An error the handlers throw; the server turns it into {@link CalcomErrorBody}. */
export class CalcomHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Validation problems: reported as `details.message` (a list) like class-validator's. */
    readonly problems?: string[],
    /** Extra response headers (e.g. `Retry-After` of a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A 400 for failed input validation (several problems, NestJS `ValidationPipe` style). */
export function validationError(problems: string[]): CalcomHttpError {
  return new CalcomHttpError(400, 'Bad Request Exception', problems);
}

/** The envelope for an error answer to `path` (the request URL, query included). */
export function errorBody(status: number, path: string, message: string, problems?: string[]): CalcomErrorBody {
  const reason = ReasonPhrases[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
  return {
    status: 'error',
    timestamp: new Date().toISOString(),
    path,
    error: {
      code: ExceptionNames[status] ?? (status >= 500 ? 'InternalServerErrorException' : 'HttpException'),
      message,
      details: { message: problems ?? message, error: reason, statusCode: status },
    },
  };
}
