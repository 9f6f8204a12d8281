import { Injectable } from '@nestjs/common';

/** Whether the process has been asked to stop; readiness reports it so traffic drains away first. */
@Injectable()
export class ShutdownState {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  beginDraining(): void {
    this.draining = true;
  }
}
