// One error class per AWS DMS fault. The API layer turns any DmsFault into
// HTTP 400 `{"__type": code, "message": ...}`; anything else becomes InternalFailure.

export class DmsFault extends Error {
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
    this.name = code;
  }
}

export class ResourceNotFoundFault extends DmsFault {
  constructor(message: string) { super('ResourceNotFoundFault', message); }
}
export class ResourceAlreadyExistsFault extends DmsFault {
  constructor(message: string, resourceArn?: string) {
    super('ResourceAlreadyExistsFault', message, resourceArn ? { resourceArn } : {});
  }
}
export class InvalidResourceStateFault extends DmsFault {
  constructor(message: string) { super('InvalidResourceStateFault', message); }
}
export class InvalidParameterValueException extends DmsFault {
  constructor(message: string) { super('InvalidParameterValueException', message); }
}
export class InvalidParameterCombinationException extends DmsFault {
  constructor(message: string) { super('InvalidParameterCombinationException', message); }
}
export class ResourceQuotaExceededFault extends DmsFault {
  constructor(message: string) { super('ResourceQuotaExceededFault', message); }
}
export class AccessDeniedFault extends DmsFault {
  constructor(message: string) { super('AccessDeniedFault', message); }
}
export class KMSKeyNotAccessibleFault extends DmsFault {
  constructor(message: string) { super('KMSKeyNotAccessibleFault', message); }
}
export class UnknownOperationException extends DmsFault {
  constructor(message: string) { super('UnknownOperationException', message); }
}
export class SerializationException extends DmsFault {
  constructor(message: string) { super('SerializationException', message); }
}
export class InvalidActionException extends DmsFault {
  constructor(message: string) { super('InvalidAction', message); }
}
export class ValidationException extends DmsFault {
  constructor(message: string) { super('ValidationException', message); }
}

// Authentication faults of the AWS JSON protocol, raised before any operation runs; they carry
// their HTTP status (https://docs.aws.amazon.com/dms/latest/APIReference/CommonErrors.html).
export abstract class AuthenticationFault extends DmsFault {
  abstract readonly status: 400 | 403;
}
export class MissingAuthenticationTokenException extends AuthenticationFault {
  readonly status = 403;
  constructor(message = 'Missing Authentication Token') { super('MissingAuthenticationTokenException', message); }
}
export class IncompleteSignatureException extends AuthenticationFault {
  readonly status = 400;
  constructor(message: string) { super('IncompleteSignatureException', message); }
}
export class UnrecognizedClientException extends AuthenticationFault {
  readonly status = 400;
  constructor(message = 'The security token included in the request is invalid.') { super('UnrecognizedClientException', message); }
}
export class InvalidSignatureException extends AuthenticationFault {
  readonly status = 400;
  constructor(message: string) { super('InvalidSignatureException', message); }
}
