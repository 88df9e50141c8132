// Schemas shared by several routes.
import { Type } from 'typebox';

export const errorSchema = Type.Object(
  { error: Type.String({ description: 'Stable error code (see the error registry)' }), message: Type.String() },
  { $id: 'Error', description: 'Every refusal' },
);
