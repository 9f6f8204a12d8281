import { ApiProperty } from '@nestjs/swagger';

/** The body of every error under /api/v1. */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    description: 'What is wrong, in words; several problems are joined with "; "',
    example: 'limit must not be greater than 1000',
  })
  message: string;
}
