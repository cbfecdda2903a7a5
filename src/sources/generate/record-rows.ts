import type { SourceKindName } from '../kinds';
import type { Sprinkler } from './bad-rows';
import { byTime, renderRow, type SourceFormat, type TimedRecord } from './rows';
import type { RowFiles } from './row-files';

/** Writes a low-volume kind (CRM, billing, support): a day's records in time order, with the sprinkle. */
export class RecordRows {
  constructor(
    private readonly kind: SourceKindName,
    private readonly format: SourceFormat,
    private readonly sprinkler: Sprinkler,
    private readonly files: RowFiles,
  ) {}

  async write(rows: TimedRecord[]): Promise<void> {
    rows.sort(byTime);
    const { files, sprinkler } = this;
    for (const { record } of rows) {
      files.line(renderRow(this.kind, this.format, record));
      if (sprinkler.afterRow(files)) sprinkler.addBad(files, record);
      if (files.due) await files.flush();
    }
  }

  async finish(): Promise<void> {
    this.sprinkler.finish(this.files);
    await this.files.close();
  }
}
