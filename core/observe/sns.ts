import type { SNSClient } from '@aws-sdk/client-sns';
import { sideClientConfig } from '../aws-clients.js';

// Event delivery to SNS topics (event subscriptions). The topic ARN gives the region.

export interface EventNotifier {
  publish(topicArn: string, subject: string, message: string): Promise<void>;
  /** False when the topic does not exist; throws when SNS cannot be asked. */
  topicExists(topicArn: string): Promise<boolean>;
}

export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$/;

export function createSnsNotifier(endpoint: string | undefined, defaultRegion: string): EventNotifier {
  const clients = new Map<string, SNSClient>();
  // The SDK is loaded on first use: most processes never deliver an event.
  const sdk = () => import('@aws-sdk/client-sns');
  const client = async (topicArn: string) => {
    const { SNSClient } = await sdk();
    const region = SNS_TOPIC_ARN.exec(topicArn)?.[1] ?? defaultRegion;
    let c = clients.get(region);
    if (!c) clients.set(region, (c = new SNSClient(sideClientConfig(endpoint, region))));
    return c;
  };
  return {
    async publish(topicArn, subject, message) {
      const { PublishCommand } = await sdk();
      await (await client(topicArn)).send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    },
    async topicExists(topicArn) {
      try {
        const { GetTopicAttributesCommand } = await sdk();
        await (await client(topicArn)).send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
        return true;
      } catch (e) {
        if ((e as Error).name === 'NotFoundException' || (e as Error).name === 'NotFound') return false;
        throw e;
      }
    },
  };
}
